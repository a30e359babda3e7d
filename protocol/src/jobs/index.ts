/**
 * Job specs (runs anywhere): the schema, declared outputs, canonical form and on-chain commitment.
 */
export * from "./canonical-json";
export * from "./declared-outputs";
export * from "./directory-image";
export * from "./job-spec";
