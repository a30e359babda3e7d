/**
 * Output Gate benchmark (runs on the developer's machine or in CI): scan throughput of CSV outputs
 * against a 1,000,000-row fingerprint index, on the calling thread and on the worker pool (the
 * deployed path for outputs from 1 MB), and the time from a 10 MB output set to its automated
 * decision. References in the same run: SHA-256 of the same bytes (node:crypto), the single-thread
 * scan of the same bytes, and plain CSV line splitting. CPU time is the whole process's (every thread).
 * The pool's workers run the bundled gate-scan-worker.mjs, built here with the reproducible build's
 * settings, as production runs them: a bundle is slower than the sources (esbuild turns top-level
 * constants into variables the optimizing compiler cannot fold). The calling thread runs the sources.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { LONGEVITY_COHORT_SCHEMA } from "@cce4long/protocol/datasets/longevity-cohort";
import { gatePolicySchema } from "@cce4long/protocol/gate/policy";
import { declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { build } from "esbuild";
import { BUNDLES, esbuildOptions } from "../../build/bundles";
import { checkOutputs, type OutputFile } from "../../enclave-runtime/src/gate/check-outputs";
import { buildFingerprintIndex } from "../../enclave-runtime/src/gate/fingerprints/build";
import type { FingerprintIndex } from "../../enclave-runtime/src/gate/fingerprints/fingerprint-index";
import {
  deserializeFingerprintIndex,
  serializeFingerprintIndex,
} from "../../enclave-runtime/src/gate/fingerprints/serialize";
import type { CsvScanOptions } from "../../enclave-runtime/src/gate/parallel-scan/scan-csv";
import { ScanWorkerPool } from "../../enclave-runtime/src/gate/parallel-scan/worker-pool";
import { median, medianMs } from "../timing";
import type { Benchmark, Measurement } from "../types";
import { measureBandKernel } from "./gate-band-kernel";

const INDEX_ROWS = 1_000_000;
const SEED = 424_242n;
const MB = 1_000_000;
const TARGET_BYTES = 10 * MB;
const DEIDENTIFIED_FROM = 10; // attributes only: drop participant_id, direct and quasi-identifiers

/** CSV of cohort rows up to `bytes`; `identifiers` false drops the identifying columns. */
function cohortCsv(seed: bigint, skip: number, bytes: number, identifiers: boolean): Uint8Array {
  // Lines end in "\n": cut before it, so the last cell does not carry it and no empty line follows.
  const cut = (line: string) =>
    identifiers ? line : `${line.trimEnd().split(",").slice(DEIDENTIFIED_FROM).join(",")}\n`;
  const parts = [cut(CSV_HEADER)];
  let size = parts[0]!.length;
  let i = 0;
  for (const row of cohortRows({ participants: INDEX_ROWS, seed })) {
    if (i++ < skip) continue;
    const line = cut(csvLine(row));
    parts.push(line);
    size += line.length;
    if (size >= bytes) break;
  }
  return new TextEncoder().encode(parts.join(""));
}

function medianTimed(samples: Timed[]): Timed {
  return [...samples].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(samples.length / 2)]!;
}

interface Timed {
  /** Median wall time, ms. */
  wallMs: number;
  /** CPU time of the process (all threads) in the run with the median wall time, ms. */
  cpuMs: number;
  /** Longest the calling thread's event loop went without a turn during that run, ms. */
  blockedMs: number;
}

/** Measures the longest gap between event-loop turns until stopped (a 0 ms timer re-armed each turn). */
function watchEventLoop(): () => number {
  let longest = 0;
  let last = performance.now();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    timer = setTimeout(tick, 0);
  };
  timer = setTimeout(tick, 0);
  return () => {
    clearTimeout(timer);
    return Math.max(longest, performance.now() - last);
  };
}

async function timeAsync(fn: () => Promise<unknown>, runs = 3): Promise<Timed> {
  const samples: Timed[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const stop = watchEventLoop();
    const t = performance.now();
    await fn();
    const wallMs = performance.now() - t;
    const blockedMs = stop();
    const used = process.cpuUsage(cpu);
    samples.push({ wallMs, cpuMs: (used.user + used.system) / 1000, blockedMs });
  }
  return medianTimed(samples);
}

/** A pure integer loop (no memory sharing, no I/O): what `threads` threads can gain on this machine now. */
const SPIN = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (n) => {
  const a = new Uint32Array(1 << 16);
  let x = 1;
  for (let i = 0; i < n; i++) { x = Math.imul(x ^ (x >>> 13), 0x9e3779b1) + i; a[x & 0xffff] += x; }
  parentPort.postMessage(x);
});`;

async function computeSpeedup(threads: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(SPIN, { eval: true }));
  const spin = (w: Worker, n: number) =>
    new Promise((resolve) => {
      w.once("message", resolve);
      w.postMessage(n);
    });
  try {
    const work = 100_000_000;
    await Promise.all(workers.map((w) => spin(w, 1_000_000)));
    const ratios: number[] = [];
    for (let round = 0; round < 3; round++) {
      let t = performance.now();
      await spin(workers[0]!, work);
      const one = performance.now() - t;
      t = performance.now();
      await Promise.all(workers.map((w) => spin(w, Math.floor(work / threads))));
      ratios.push(one / (performance.now() - t));
    }
    return median(ratios);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Calling-thread scan. */
const SINGLE: CsvScanOptions = { parallelFromBytes: Number.POSITIVE_INFINITY };
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A pool of the bundled scan worker, as privacy-plane.mjs starts it; `dispose` stops it and removes the bundle. */
async function bundledWorkerPool(): Promise<{ pool: ScanWorkerPool; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "cce4long-gate-bench-"));
  const worker = BUNDLES.find((bundle) => bundle.name === "gate-scan-worker")!;
  await build(esbuildOptions(worker, REPO_ROOT, join(dir, worker.file)));
  const pool = new ScanWorkerPool({ entry: { url: pathToFileURL(join(dir, worker.file)), execArgv: [] } });
  return {
    pool,
    dispose: async () => {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const declare = (path: string) =>
  declaredOutputSchema.parse({ kind: "free_text", path, format: "csv", description: "rows" });

async function run(): Promise<Measurement[]> {
  const { pool, dispose } = await bundledWorkerPool();
  try {
    return await measure(pool);
  } finally {
    await dispose();
  }
}

async function measure(pool: ScanWorkerPool): Promise<Measurement[]> {
  /** The deployed default: the worker pool from PARALLEL_FROM_BYTES on. */
  const PARALLEL: CsvScanOptions = { pool };
  const policy = gatePolicySchema.parse({ freeTextNeedsReview: false, limits: { maxFileBytes: 64 * MB } });
  const key = new Uint8Array(32).fill(0x42);
  let t = performance.now();
  // Built, then loaded from its bytes as the gate loads a sealed index (manifestGateInputs), so
  // the scans meet the same tables production does, not the build's.
  const indexBytes = serializeFingerprintIndex(
    buildFingerprintIndex({
      datasetKey: key,
      schema: LONGEVITY_COHORT_SCHEMA,
      rows: { [Symbol.iterator]: () => cohortRows({ participants: INDEX_ROWS, seed: SEED }) },
    }),
  );
  const buildSeconds = (performance.now() - t) / 1000;
  const index: FingerprintIndex = deserializeFingerprintIndex(indexBytes, key);
  // The gate builds the band set's prefilter for the first large output it scans; built here so no
  // timed run includes it.
  index.sets.bands.addPrefilter();
  const indexNote = `index: ${INDEX_ROWS.toLocaleString("en")} rows built in ${buildSeconds.toFixed(1)} s (incl. generating them twice), ${(index.byteLength / 2 ** 20).toFixed(0)} MiB of tags`;

  // Outputs: rows of another cohort (clean), and de-identified rows of the indexed cohort (a leak).
  const clean = cohortCsv(SEED + 1n, 0, TARGET_BYTES, false);
  const leaked = cohortCsv(SEED, 1000, TARGET_BYTES, false);
  const check = (files: OutputFile[], scan: CsvScanOptions = PARALLEL) =>
    checkOutputs({ files, declared: files.map((f) => declare(f.path)), policy, fingerprints: index, scan });
  // JIT warm-up on this thread and in the workers (which start here): the pool is long-lived in
  // the Privacy Plane, so the steady state is what a gate run meets. Both outputs, whole, so every
  // path (misses and matches) has run optimized before the timed runs.
  for (const bytes of [clean, leaked]) {
    await check([{ path: "warm.csv", bytes }], SINGLE);
    await check([{ path: "warm.csv", bytes }], PARALLEL);
  }
  const workers = pool.size;
  const poolNote = `${workers} workers (available parallelism ${availableParallelism()})`;

  const sha = medianMs(() => createHash("sha256").update(clean).digest());
  const shaMBs = clean.length / MB / (sha / 1000);
  const split = medianMs(() => {
    let cells = 0;
    for (const line of new TextDecoder().decode(clean).split("\n")) cells += line.split(",").length;
    return cells;
  });
  // What a fresh copy into shared memory costs (page faults included): the parallel path keeps one
  // buffer between scans instead (parallel-scan/shared-copy.ts).
  const copyMs = medianMs(() => new Uint8Array(new SharedArrayBuffer(clean.length)).set(clean));

  const results: Measurement[] = [];
  for (const [name, bytes] of [
    ["clean", clean],
    ["leaked", leaked],
  ] as const) {
    const per10MB = (ms: number) => ms * ((10 * MB) / bytes.length);
    const outcome = { decision: "", copied: 0 };
    const scanOnce = (scan: CsvScanOptions) => async () => {
      const report = await check([{ path: `${name}.csv`, bytes }], scan);
      outcome.decision = report.decision;
      outcome.copied = report.files[0]?.findings.find((f) => f.rule === "leakage.dataset_rows")?.count ?? 0;
    };
    // Alternated, so both variants meet the same load.
    const single: Timed[] = [];
    const parallel: Timed[] = [];
    for (let round = 0; round < 5; round++) {
      single.push(await timeAsync(scanOnce(SINGLE), 1));
      parallel.push(await timeAsync(scanOnce(PARALLEL), 1));
    }
    const s = medianTimed(single);
    const p = medianTimed(parallel);
    const singleMBs = bytes.length / MB / (s.wallMs / 1000);
    const parallelMBs = bytes.length / MB / (p.wallMs / 1000);
    const shown = (t: Timed) =>
      `wall ${per10MB(t.wallMs).toFixed(0)} ms, CPU ${per10MB(t.cpuMs).toFixed(0)} ms per 10 MB, event loop blocked at most ${t.blockedMs.toFixed(0)} ms`;
    results.push({
      name: `gate.scan.${name}-csv.single-thread`,
      value: singleMBs,
      unit: "MB/s",
      reference: { name: "sha256 (node:crypto) of the same bytes", value: shaMBs, unit: "MB/s" },
      notes: `${(bytes.length / MB).toFixed(1)} MB -> ${outcome.decision} (${outcome.copied} rows flagged as copied); ${shown(s)}; ${indexNote}`,
    });
    results.push({
      name: `gate.scan.${name}-csv.parallel`,
      value: parallelMBs,
      unit: "MB/s",
      reference: { name: "single-thread scan of the same bytes, same run", value: singleMBs, unit: "MB/s" },
      goal: { on: "value", op: ">=", target: 100, text: "at least 100 MB/s" },
      notes: `${poolNote}; ${shown(p)}; sha256 ${shaMBs.toFixed(0)} MB/s; a fresh shared-memory copy would add ${per10MB(copyMs).toFixed(1)} ms per 10 MB (the scan reuses one buffer)`,
    });
  }

  // The parallel scan's speedup against what the machine gives any two threads right now.
  const spinSpeedup = await computeSpeedup(workers);
  const leakedSingle = results.find((r) => r.name === "gate.scan.leaked-csv.single-thread")!.value;
  const leakedParallel = results.find((r) => r.name === "gate.scan.leaked-csv.parallel")!.value;
  results.push({
    name: "gate.scan.leaked-csv.parallel-speedup",
    value: leakedParallel / leakedSingle,
    unit: "x",
    reference: {
      name: `a pure compute loop on ${workers} threads vs 1, same run`,
      value: spinSpeedup,
      unit: "x",
    },
    notes: "ratio near 1: the scan scales as well as any CPU-bound work can on this machine at this load",
  });

  // Where the worker pool starts to pay (PARALLEL_FROM_BYTES): leaked rows of growing size.
  for (const size of [0.25, 0.5, 1, 2]) {
    let end = Math.floor(size * MB);
    while (end < leaked.length && leaked[end - 1] !== 0x0a) end++;
    const bytes = leaked.subarray(0, end);
    const files = [{ path: "part.csv", bytes }];
    const forced: CsvScanOptions = { parallelFromBytes: 0, pool };
    const single: Timed[] = [];
    const parallel: Timed[] = [];
    for (let round = 0; round < 5; round++) {
      single.push(await timeAsync(() => check(files, SINGLE), 1));
      parallel.push(await timeAsync(() => check(files, forced), 1));
    }
    const s = medianTimed(single);
    const p = medianTimed(parallel);
    results.push({
      name: `gate.scan.leaked-${size}MB.parallel`,
      value: bytes.length / MB / (p.wallMs / 1000),
      unit: "MB/s",
      reference: {
        name: "single-thread scan of the same bytes, same run",
        value: bytes.length / MB / (s.wallMs / 1000),
        unit: "MB/s",
      },
      notes: `wall ${p.wallMs.toFixed(1)} vs ${s.wallMs.toFixed(1)} ms single; ${poolNote}`,
    });
  }

  // A 10 MB output set of ten 1 MB files, half clean, half leaking: submitted -> decision.
  const set: OutputFile[] = Array.from({ length: 10 }, (_, i) => {
    const source = i % 2 === 0 ? clean : leaked;
    const start = Math.floor(i / 2) * MB;
    let end = Math.min(source.length, start + MB);
    while (end < source.length && source[end - 1] !== 0x0a) end++;
    const header = new TextEncoder().encode(CSV_HEADER.split(",").slice(DEIDENTIFIED_FROM).join(","));
    const body = source.subarray(start === 0 ? header.length : start, end);
    const bytes = new Uint8Array(header.length + body.length);
    bytes.set(header);
    bytes.set(body, header.length);
    return { path: `out-${i}.csv`, bytes };
  });
  const setBytes = set.reduce((s, f) => s + f.bytes.length, 0);
  let decision = "";
  t = performance.now();
  const { wallMs: ms } = await timeAsync(async () => {
    decision = (await check(set)).decision;
  });
  const { wallMs: singleMs } = await timeAsync(() => check(set, SINGLE));
  results.push({
    name: "gate.decision.10MB-set",
    value: ms / 1000,
    unit: "s",
    reference: {
      name: "CSV line+cell splitting of the same bytes",
      value: (split * (setBytes / clean.length)) / 1000,
      unit: "s",
    },
    goal: { on: "value", op: "<=", target: 1, text: "under 1 s" },
    notes: `${(setBytes / MB).toFixed(1)} MB in 10 files -> ${decision} (files from 1 MB on the worker pool); all on the calling thread ${(singleMs / 1000).toFixed(3)} s`,
  });

  // What a gate run adds when its version's index is not loaded yet (the first run of a version
  // in a Privacy Plane process, or after it left the cache: review/index-cache.ts): load the
  // index's bytes and build the scan's prefilter. Fetching and decrypting them come on top.
  const { wallMs: loadMs } = await timeAsync(async () => {
    deserializeFingerprintIndex(indexBytes, key).sets.bands.addPrefilter();
  });
  results.push({
    name: "gate.index.first-load",
    value: loadMs / 1000,
    unit: "s",
    reference: { name: "the 10 MB set's decision with the index loaded", value: ms / 1000, unit: "s" },
    notes: `${(indexBytes.length / 2 ** 20).toFixed(0)} MiB index: deserialize (order check) and prefilter; later runs of the version reuse it`,
  });
  results.push(measureBandKernel());
  return results;
}

const benchmark: Benchmark = {
  name: "gate",
  description:
    "Output Gate: CSV scan throughput against a 1M-row fingerprint index, and time to decision for 10 MB",
  run,
};

export default benchmark;
