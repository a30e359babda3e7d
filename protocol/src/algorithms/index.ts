/**
 * Algorithm records (runs anywhere): reproducible source tarballs, the record and its check against
 * the on-chain spec commitment, and the data-availability interface they are published through.
 */
export * from "./algorithm-record";
export * from "./data-availability";
export * from "./publish-fetch";
export * from "./reproducible-tar";
