/**
 * The gate's CSV leakage scan, on several threads when the output is large (runs inside the TEE).
 * Below `parallelFromBytes` the calling thread scans (a worker round trip and cold per-slice value
 * tables cost more than they save). Above it, the body is cut at record ends (csv-slices.ts), each
 * slice is scanned by a pool worker with the same code as the single-thread scan, and the slices'
 * results are merged (merge-scans.ts) into exactly the single-thread result. The output bytes and
 * the index's tables are shared, not copied (the output is copied once into shared memory when the
 * caller's bytes are not already there, and that copy is wiped afterwards).
 */
import type { FingerprintIndex, FingerprintSets } from "../fingerprints/fingerprint-index";
import type { LeakageScan } from "../fingerprints/scan";
import type { SharedTagSet } from "../fingerprints/tag-set";
import { type CsvScan, readCsvLayout, scanCsvRecords } from "../parse/csv-scan";
import { csvSlices } from "./csv-slices";
import { mergeScans } from "./merge-scans";
import type { SharedIndex } from "./messages";
import { releaseSharedCopy, sharedCopy } from "./shared-copy";
import { defaultScanPool, type ScanWorkerPool } from "./worker-pool";

/**
 * Outputs from this size on are scanned in parallel. Measured with the bench (bench/benches/gate.ts,
 * 1M-row index, 2 workers, copied rows; three runs): the pool against the calling thread took
 * 0.86-0.97x the time at 0.25 MB, 0.85-0.94x at 0.5 MB, 0.72-0.77x at 1 MB and 0.66-0.68x at 2 MB.
 * Below 1 MB the gain is a millisecond or less and the worker hop and cold per-slice value tables
 * make it vary; from 1 MB a scan takes 19+ ms on one thread, the split saves a quarter of it, and
 * the calling thread's event loop stays free (about 10 ms blocked per 10 MB, not 130+).
 */
export const PARALLEL_FROM_BYTES = 1_000_000;

export interface CsvScanOptions {
  /** Outputs at least this large go to the workers (default PARALLEL_FROM_BYTES). */
  parallelFromBytes?: number;
  /** The worker pool (default: the process's pool, see worker-pool.ts). */
  pool?: ScanWorkerPool;
}

/** Scans the rows of a CSV file (valid UTF-8) against the index; the first record is the header. */
export async function scanCsv(
  index: FingerprintIndex,
  bytes: Uint8Array,
  options: CsvScanOptions = {},
): Promise<CsvScan> {
  const layout = readCsvLayout(bytes);
  const whole = () => scanCsvRecords(index, bytes, layout, layout.bodyStart, bytes.length);
  if (bytes.length < (options.parallelFromBytes ?? PARALLEL_FROM_BYTES)) {
    return { header: layout.header, scan: whole() };
  }
  // A large output looks the band set up in bulk and mostly misses: a prefilter (built once per
  // loaded index, about 0.07 s per 1M rows, shared with the workers) answers most misses from cache.
  // Small outputs and ingest never pay for it.
  index.sets.bands.addPrefilter();
  const pool = options.pool ?? defaultScanPool();
  const slices = csvSlices(bytes, layout.bodyStart, bytes.length, layout.sep, pool.size);
  if (slices.length < 2) return { header: layout.header, scan: whole() };
  const shared = bytes.buffer instanceof SharedArrayBuffer ? bytes : sharedCopy(bytes);
  try {
    const sharedIndex = shareIndex(index);
    const settled = await Promise.allSettled(
      slices.map((slice) =>
        pool.scan({
          bytes: shared,
          layout,
          from: slice.from,
          to: slice.to,
          index: sharedIndex,
          tagKey: index.key.tagKeyForWorker(),
        }),
      ),
    );
    const scans: LeakageScan[] = [];
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
      scans.push(result.value);
    }
    return { header: layout.header, scan: mergeScans(scans) };
  } finally {
    // Every worker is done with it (allSettled): the plaintext copy goes.
    if (shared !== bytes) releaseSharedCopy(shared);
  }
}

function shareIndex(index: FingerprintIndex): SharedIndex {
  const sets = {} as Record<keyof FingerprintSets, SharedTagSet>;
  for (const name of Object.keys(index.sets) as (keyof FingerprintSets)[]) {
    sets[name] = index.sets[name].shared();
  }
  return { params: index.params, stats: index.stats, sets };
}
