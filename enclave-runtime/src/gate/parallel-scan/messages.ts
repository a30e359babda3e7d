/**
 * What the gate's main thread and its scan workers say to each other (inside the TEE, one process):
 * a request names a slice of a CSV output held in shared memory, the fingerprint index's shared
 * tables and a copy of its tag key (transferred, wiped by the worker); the reply is the slice's
 * leakage scan, or only the kind of error (never a message that could quote the output).
 */
import type { ErrorCode } from "@cce4long/protocol";
import type { FingerprintSets, FingerprintStats } from "../fingerprints/fingerprint-index";
import type { FingerprintParams } from "../fingerprints/params";
import type { LeakageScan } from "../fingerprints/scan";
import type { SharedTagSet } from "../fingerprints/tag-set";
import type { CsvLayout } from "../parse/csv-scan";

export interface SharedIndex {
  params: FingerprintParams;
  stats: FingerprintStats;
  sets: Record<keyof FingerprintSets, SharedTagSet>;
}

export interface ScanSliceRequest {
  id: number;
  /** The whole output, in a SharedArrayBuffer. */
  bytes: Uint8Array;
  layout: CsvLayout;
  from: number;
  to: number;
  index: SharedIndex;
  /** The expanded tag key: its buffer is transferred, so the sender keeps no copy. */
  tagKey: Uint8Array;
}

export type ScanSliceReply =
  | { id: number; ok: true; scan: LeakageScan }
  | { id: number; ok: false; errorName: string; code?: ErrorCode };
