/**
 * The fingerprint index of one dataset version (runs inside the TEE): keyed tags of what would give a
 * raw record away in an output. Ingest builds it (build.ts) and stores it encrypted
 * (serialize.ts); the Output Gate scans outputs against it (scan.ts). It holds no dataset value,
 * only 8-byte PRF tags under a key it never stores.
 */
import type { FingerprintParams } from "./params";
import type { FingerprintKey } from "./prf";
import type { TagSet } from "./tag-set";

export interface FingerprintStats {
  rows: number;
  /** Direct-identifier and record-key columns whose rare values are indexed. */
  identifierColumns: string[];
  quasiIdentifierColumns: string[];
  /** Columns whose values make the row shingles. */
  shingleColumns: string[];
}

export interface FingerprintSets {
  /** Exact tags of direct-identifier values held by fewer than rareThreshold rows. */
  identifiers: TagSet;
  /** Exact tags of the quasi-identifier values that take part in some rare combination. */
  qiValues: TagSet;
  /** Minimal rare quasi-identifier combinations. */
  rareCombos: TagSet;
  /** Every shingle-column value at every level (filters output cells before banding). */
  shingleValues: TagSet;
  /** Band tags of every row at every level. */
  bands: TagSet;
}

export class FingerprintIndex {
  constructor(
    readonly key: FingerprintKey,
    readonly params: FingerprintParams,
    readonly stats: FingerprintStats,
    readonly sets: FingerprintSets,
  ) {}

  /** Bytes the tag sets take in memory and when serialized. */
  get byteLength(): number {
    return Object.values(this.sets).reduce((sum, set) => sum + set.tags.byteLength, 0);
  }

  /** Bytes the index holds in memory: the tag sets with their bucket tables and prefilter. */
  get memoryBytes(): number {
    return Object.values(this.sets).reduce((sum, set) => sum + set.memoryBytes, 0);
  }
}
