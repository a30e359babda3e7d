/**
 * Keys of the Privacy Plane (runs inside the TEE): the provider interface, the keyring that enforces
 * rotation and retirement, and wiping. The dstack provider is imported from ./dstack-key-provider directly,
 * so that code which only needs these types does not load the dstack SDK.
 */
export * from "./key-version-store";
export * from "./key-versions";
export * from "./keyring";
export * from "./paths";
export type * from "./types";
export * from "./wipe";
