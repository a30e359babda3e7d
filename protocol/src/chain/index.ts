/**
 * Chain bindings and helpers of @cce4long/protocol (runs anywhere): the generated hub ABI and bytecode,
 * the deployment file schema, id derivations, lifecycle codes and the per-dataset audit query.
 */
export * from "./audit";
export * from "./deployment";
export * from "./generated/index";
export * from "./hub";
export * from "./ids";
export * from "./lifecycle";
