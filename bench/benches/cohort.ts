/**
 * Benchmark of the synthetic cohort generator (runs on the developer's machine): rows per second
 * written as CSV and as Parquet, each against writing the same number of bytes of a constant line to
 * the same file system in the same run (the I/O-only ceiling; the ratio is the generator's share).
 */

import { once } from "node:events";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CohortFormat, writeCohort } from "../../cli/src/cohort/write";
import type { Benchmark, Measurement } from "../types";

const ROWS = 200_000;

/** Writes `bytes` of a constant CSV-like line in 64 KiB chunks with back-pressure; returns seconds. */
async function writeConstant(path: string, bytes: number): Promise<number> {
  const line = `${"P00000001,Jane Doe,MRN000000001,1950-01-01,LS6 1AB,F,60,White,".padEnd(154, "0")}\n`;
  const chunk = line.repeat(Math.floor(65_536 / line.length));
  const started = performance.now();
  const stream = createWriteStream(path);
  let written = 0;
  while (written < bytes) {
    const piece = bytes - written >= chunk.length ? chunk : chunk.slice(0, bytes - written);
    written += piece.length;
    if (!stream.write(piece)) await once(stream, "drain");
  }
  stream.end();
  await once(stream, "finish");
  return (performance.now() - started) / 1000;
}

async function measure(dir: string, format: CohortFormat, goalRowsPerSecond: number): Promise<Measurement> {
  const out = join(dir, `cohort.${format}`);
  const summary = await writeCohort({ participants: ROWS, seed: 1n, format, out });
  const referenceSeconds = await writeConstant(join(dir, `constant.${format}`), summary.bytes);
  return {
    name: `cohort.${format}.generate`,
    value: Math.round(summary.rowsPerSecond),
    unit: "rows/s",
    reference: {
      name: "same bytes of a constant line, same fs",
      value: Math.round(ROWS / referenceSeconds),
      unit: "rows/s",
    },
    goal: {
      on: "value",
      op: ">=",
      target: goalRowsPerSecond,
      text: `at least ${goalRowsPerSecond.toLocaleString("en")} rows/s (1M participants in ${Math.round(1e6 / goalRowsPerSecond)} s)`,
    },
    notes: `${ROWS.toLocaleString("en")} rows, ${(summary.bytes / 1024 / 1024).toFixed(1)} MiB, rss ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MiB`,
  };
}

const cohort: Benchmark = {
  name: "cohort",
  description: "synthetic cohort generation, CSV and Parquet, vs writing the same bytes of a constant line",
  async run() {
    const dir = mkdtempSync(join(tmpdir(), "cce4long-bench-cohort-"));
    try {
      return [await measure(dir, "csv", 50_000), await measure(dir, "parquet", 25_000)];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default cohort;
