/**
 * Output Gate benchmark (runs on the developer's machine or in CI): scan throughput of CSV outputs
 * against a 1,000,000-row fingerprint index, and the time from a 10 MB output set to its automated
 * decision. References in the same run: SHA-256 of the same bytes (node:crypto) and plain CSV line
 * splitting of the same bytes.
 */
import { createHash } from "node:crypto";
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { LONGEVITY_COHORT_SCHEMA } from "@cce4long/protocol/datasets/longevity-cohort";
import { gatePolicySchema } from "@cce4long/protocol/gate/policy";
import { declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { checkOutputs, type OutputFile } from "../../enclave-runtime/src/gate/check-outputs";
import { buildFingerprintIndex } from "../../enclave-runtime/src/gate/fingerprints/build";
import type { FingerprintIndex } from "../../enclave-runtime/src/gate/fingerprints/fingerprint-index";
import type { Benchmark, Measurement } from "../types";

const INDEX_ROWS = 1_000_000;
const SEED = 424_242n;
const MB = 1_000_000;
const TARGET_BYTES = 10 * MB;
const DEIDENTIFIED_FROM = 10; // attributes only: drop participant_id, direct and quasi-identifiers

/** CSV of cohort rows up to `bytes`; `identifiers` false drops the identifying columns. */
function cohortCsv(seed: bigint, skip: number, bytes: number, identifiers: boolean): Uint8Array {
  const cut = (line: string) =>
    identifiers ? line : `${line.split(",").slice(DEIDENTIFIED_FROM).join(",")}\n`;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown, runs = 3): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

async function timeAsync(fn: () => Promise<unknown>, runs = 3): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

const declare = (path: string) =>
  declaredOutputSchema.parse({ kind: "free_text", path, format: "csv", description: "rows" });

async function run(): Promise<Measurement[]> {
  const policy = gatePolicySchema.parse({ freeTextNeedsReview: false, limits: { maxFileBytes: 64 * MB } });
  const key = new Uint8Array(32).fill(0x42);
  let t = performance.now();
  const index: FingerprintIndex = buildFingerprintIndex({
    datasetKey: key,
    schema: LONGEVITY_COHORT_SCHEMA,
    rows: { [Symbol.iterator]: () => cohortRows({ participants: INDEX_ROWS, seed: SEED }) },
  });
  const buildSeconds = (performance.now() - t) / 1000;
  const indexNote = `index: ${INDEX_ROWS.toLocaleString("en")} rows built in ${buildSeconds.toFixed(1)} s (incl. generating them twice), ${(index.byteLength / 2 ** 20).toFixed(0)} MiB of tags`;

  // Outputs: rows of another cohort (clean), and de-identified rows of the indexed cohort (a leak).
  const clean = cohortCsv(SEED + 1n, 0, TARGET_BYTES, false);
  const leaked = cohortCsv(SEED, 1000, TARGET_BYTES, false);
  const check = (files: OutputFile[]) =>
    checkOutputs({ files, declared: files.map((f) => declare(f.path)), policy, fingerprints: index });
  await check([{ path: "warm.csv", bytes: clean.subarray(0, 200_000) }]); // JIT warm-up

  const sha = time(() => createHash("sha256").update(clean).digest());
  const shaMBs = clean.length / MB / (sha / 1000);
  const split = time(() => {
    let cells = 0;
    for (const line of new TextDecoder().decode(clean).split("\n")) cells += line.split(",").length;
    return cells;
  });

  const results: Measurement[] = [];
  for (const [name, bytes] of [
    ["clean", clean],
    ["leaked", leaked],
  ] as const) {
    let decision = "";
    let copied = 0;
    const ms = await timeAsync(async () => {
      const report = await check([{ path: `${name}.csv`, bytes }]);
      decision = report.decision;
      copied = report.files[0]?.findings.find((f) => f.rule === "leakage.dataset_rows")?.count ?? 0;
    });
    results.push({
      name: `gate.scan.${name}-csv`,
      value: bytes.length / MB / (ms / 1000),
      unit: "MB/s",
      reference: { name: "sha256 (node:crypto) of the same bytes", value: shaMBs, unit: "MB/s" },
      goal: { on: "value", op: ">=", target: 100, text: "at least 100 MB/s" },
      notes: `${(bytes.length / MB).toFixed(1)} MB -> ${decision} (${copied} rows flagged as copied); ${indexNote}`,
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
  const ms = await timeAsync(async () => {
    decision = (await check(set)).decision;
  });
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
    notes: `${(setBytes / MB).toFixed(1)} MB in 10 files -> ${decision}`,
  });
  return results;
}

const benchmark: Benchmark = {
  name: "gate",
  description:
    "Output Gate: CSV scan throughput against a 1M-row fingerprint index, and time to decision for 10 MB",
  run,
};

export default benchmark;
