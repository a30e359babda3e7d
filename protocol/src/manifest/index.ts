/**
 * The Result Manifest: schema, hash and EIP-712 typed data, offline and on-chain verification (runs anywhere).
 */
export * from "./manifest-hash";
export * from "./result-manifest";
export * from "./verify-manifest";
export * from "./verify-on-chain";
