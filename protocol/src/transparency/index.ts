/**
 * The transparency log of software allowed to handle keys (runs anywhere): RFC 9162 Merkle tree,
 * entries, proofs and their verification, the log over a store, and its head on-chain.
 */
export * from "./log";
export * from "./log-entry";
export * from "./merkle";
export * from "./onchain-head";
export * from "./proofs";
export * from "./verify";
