/**
 * The gate's band kernel against the step-by-step band writer (runs on the developer's machine or in
 * CI, as part of `npm run bench -- gate`): band tags per second for the same rows of the default
 * levels, in the same run, and a check that both wrote the same tags.
 */
import { fingerprintParamsSchema } from "../../enclave-runtime/src/gate/fingerprints/params";
import { ShingleValues } from "../../enclave-runtime/src/gate/fingerprints/shingle-values";
import { writeBands } from "../../enclave-runtime/src/gate/fingerprints/shingles";
import { stream } from "../../enclave-runtime/src/gate/test-support/random-stream";
import { medianMs } from "../timing";
import type { Measurement } from "../types";

const ROWS = 100_000;
/** Distinct shingle values a row holds at each level (the bench's cohort rows: 8-11 at the first). */
const VALUES_PER_ROW = [9, 5];
/** Distinct values the rows draw from (the bench's 10 MB output holds 3,581). */
const POOL = 4_000;

export function measureBandKernel(): Measurement {
  const levels = fingerprintParamsSchema.parse({}).levels;
  const values = new ShingleValues(levels.map((l) => l.bands));
  const next = stream(0x5eed);
  // Each level's pool of records (real tags' ranks, as a scan interns them), and the rows: their
  // record offsets, level after level.
  const pools = levels.map((_, l) => Array.from({ length: POOL }, () => values.intern(l, next(), next())));
  const rows: Int32Array[] = [];
  for (let r = 0; r < ROWS; r++) {
    for (const [l, pool] of pools.entries()) {
      const row = new Set<number>();
      while (row.size < VALUES_PER_ROW[l]!) row.add(pool[next() % POOL]!);
      rows.push(Int32Array.from(row));
    }
  }
  const bandsPerRow = levels.map((l) => l.bands);
  const tagCount = ROWS * bandsPerRow.reduce((a, b) => a + b, 0);

  const stepByStep = new Uint32Array(2 * tagCount);
  const byStep = () => {
    let q = 0;
    for (let i = 0; i < rows.length; i++) {
      const l = i % levels.length;
      q += writeBands(rows[i]!, 0, rows[i]!.length, values.data, levels[l]!, l, stepByStep, q);
    }
  };

  const kernel = values.kernel;
  const sink = {
    tags: new Uint32Array(2 * tagCount),
    rows: new Uint32Array(tagCount),
    count: 0,
    reserve() {},
  };
  const byKernel = () => {
    sink.count = 0;
    for (let i = 0; i < rows.length; i++) {
      const l = i % levels.length;
      const row = rows[i]!;
      if (!kernel.hasRoom(row.length, 1, levels[l]!.bands)) kernel.drainInto(sink);
      const from = kernel.offsetCount;
      kernel.offsets.set(row, from);
      kernel.offsetCount = from + row.length;
      kernel.queue(from, row.length, i, l, levels[l]!.valuesPerBand, levels[l]!.bands);
    }
    kernel.drainInto(sink);
  };

  for (let i = 0; i < 3; i++) {
    byStep();
    byKernel();
  }
  // Both wrote rows in order, so the same tags in the same places.
  if (sink.count !== tagCount || sink.tags.some((tag, i) => tag !== stepByStep[i])) {
    throw new Error("the band kernel and the step-by-step writer disagree");
  }
  const kernelMs = medianMs(byKernel, 7);
  const stepMs = medianMs(byStep, 7);
  const perSecond = (ms: number) => tagCount / (ms / 1000) / 1e6;
  return {
    name: "gate.bands.kernel",
    value: perSecond(kernelMs),
    unit: "M tags/s",
    reference: {
      name: "the step-by-step band writer, same rows",
      value: perSecond(stepMs),
      unit: "M tags/s",
    },
    notes: `${ROWS.toLocaleString("en")} rows of the default levels (${VALUES_PER_ROW.join(" and ")} distinct values), ${tagCount.toLocaleString("en")} band tags: ${kernelMs.toFixed(1)} vs ${stepMs.toFixed(1)} ms; the same tags`,
  };
}
