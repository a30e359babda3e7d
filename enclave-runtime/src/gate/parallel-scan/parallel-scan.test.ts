/**
 * Tests of the parallel CSV scan (runs in Node under vitest, with real worker threads): on the gate's
 * transformed-output fixtures and on random CSV, the scan cut into slices and run by workers gives
 * exactly the single-thread result (counts, evidence, row numbers); cuts never fall inside a quoted
 * field; a worker that crashes or fails makes the scan, and the gate run, fail with GATE_SCAN_FAILED.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { Cce4longError } from "@cce4long/protocol";
import { gatePolicySchema } from "@cce4long/protocol/gate/policy";
import { declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { build } from "esbuild";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLES, esbuildOptions } from "../../../../build/bundles";
import { checkOutputs } from "../check-outputs";
import { readCsvLayout, scanCsvBytes } from "../parse/csv-scan";
import {
  asGrid,
  FIXTURE_ROWS,
  fixtureIndex,
  type Grid,
  select,
  toDelimited,
} from "../test-support/cohort-fixture";
import { csvSlices } from "./csv-slices";
import { scanCsv } from "./scan-csv";
import { ScanWorkerPool } from "./worker-pool";

const REPO_ROOT = join(import.meta.dirname, "../../../..");
// Three workers even on a 2-core machine: the merge then joins more than two slices.
const pool = new ScanWorkerPool({ size: 3 });
const crashing = new ScanWorkerPool({
  size: 2,
  entry: {
    url: new URL("../test-support/crashing-scan-worker.ts", import.meta.url),
    execArgv: ["--import", "tsx"],
  },
});
afterAll(async () => {
  await pool.close();
  await crashing.close();
});

const encode = (text: string) => new TextEncoder().encode(text);
const RAW = asGrid(FIXTURE_ROWS.slice(1000, 1600));
const DEIDENTIFIED = ["age_at_baseline", "sex", "bmi", "crp_mg_l", "hba1c_mmol_mol", "albumin_g_l"];
const BIOMARKERS = ["crp_mg_l", "albumin_g_l", "hba1c_mmol_mol", "creatinine_umol_l", "lymphocyte_pct"];
const quoteAll = (grid: Grid, sep: string) =>
  `${grid.map((row) => row.map((v) => `"${v.replaceAll('"', '""')}"`).join(sep)).join("\r\n")}\r\n`;
const otherCohort = [...cohortRows({ participants: 600, seed: 99n })];

const FIXTURES: Record<string, string> = {
  "the raw rows (leaked, with identifiers)": toDelimited(RAW, ","),
  "de-identified rows, columns reordered, ; separated": toDelimited(
    select(RAW, [...DEIDENTIFIED].reverse()),
    ";",
  ),
  "rounded to 1 decimal, tab separated": toDelimited(select(RAW, DEIDENTIFIED, 1), "\t"),
  "a subset of rows and biomarker columns, | separated": toDelimited(
    select(RAW, BIOMARKERS).slice(0, 200),
    "|",
  ),
  "every cell quoted, CRLF line ends": quoteAll(RAW, ","),
  "quoted cells holding line feeds and doubled quotes": `${RAW.map((row, r) =>
    row.map((v, c) => (c === 1 && r > 0 ? `"${v}\n(said ""${r}"")"` : v)).join(","),
  ).join("\n")}\n`,
  "clean rows of another cohort": CSV_HEADER + otherCohort.map(csvLine).join(""),
  "a BOM, empty lines, lone CRs and a trailing separator": `\ufeff\n${toDelimited(RAW.slice(0, 300), ",")
    .replaceAll("\n", "\n\n")
    .replace(/\n\n([^\n]*)\n\n$/, "\r$1,")}`,
};

describe("scanCsv in parallel: the same result as one thread", () => {
  for (const [label, text] of Object.entries(FIXTURES)) {
    it(label, async () => {
      const bytes = encode(text);
      const layout = readCsvLayout(bytes);
      expect(csvSlices(bytes, layout.bodyStart, bytes.length, layout.sep, pool.size).length).toBe(3);
      const single = scanCsvBytes(fixtureIndex(), bytes);
      const parallel = await scanCsv(fixtureIndex(), bytes, { pool, parallelFromBytes: 0 });
      expect(parallel).toEqual(single);
      expect(parallel.scan.rows).toBeGreaterThan(100);
    });
  }

  it("finds the leak in the raw rows, with row numbers past the first slice", async () => {
    const { scan } = await scanCsv(
      fixtureIndex(),
      encode(FIXTURES["the raw rows (leaked, with identifiers)"]!),
      {
        pool,
        parallelFromBytes: 0,
      },
    );
    expect(scan.matchedRows.count).toBe(RAW.length - 1);
    expect(scan.identifierCells.cells.length).toBe(20);
    expect(scan.matchedRows.cells.map((c) => c.row)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("gives the same gate report as one thread", async () => {
    const files = Object.values(FIXTURES).map((text, i) => ({
      path: `f${i}.csv`,
      bytes: encode(text),
    }));
    const input = {
      files,
      declared: files.map((f, i) =>
        declaredOutputSchema.parse({ kind: "free_text", path: f.path, format: "csv", description: `${i}` }),
      ),
      policy: gatePolicySchema.parse({ freeTextNeedsReview: false }),
      fingerprints: fixtureIndex(),
    };
    const single = await checkOutputs({ ...input, scan: { parallelFromBytes: Number.POSITIVE_INFINITY } });
    const parallel = await checkOutputs({ ...input, scan: { pool, parallelFromBytes: 0 } });
    expect(parallel).toEqual(single);
    expect(single.decision).toBe("rejected-by-rules");
  });

  it("property: random CSV (quotes, line feeds in quotes, separators, empty lines) scans the same", async () => {
    const values = [...RAW.slice(1, 40).flat(), "", " ", "x,y", "a;b", 'say "hi"', "two\nlines", "\r"];
    const cell = fc.record({
      value: fc.constantFrom(...values),
      quoted: fc.boolean(),
      stray: fc.constantFrom("", '"', 'x"'),
    });
    const csv = fc.record({
      sep: fc.constantFrom(",", ";", "\t", "|"),
      eol: fc.constantFrom("\n", "\r\n", "\r"),
      rows: fc.array(fc.array(cell, { minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 60 }),
    });
    // Inputs that cannot be cut (lone-CR line ends, one line) fall back to one thread; count the
    // others so the property is known to have exercised the parallel path.
    let split = 0;
    await fc.assert(
      fc.asyncProperty(csv, async ({ sep, eol, rows }) => {
        const text = `a${sep}b${sep}c\n${rows
          .map((row) =>
            row
              .map((c) =>
                c.quoted ? `"${c.value.replaceAll('"', '""')}"${c.stray}` : `${c.value}${c.stray}`,
              )
              .join(sep),
          )
          .join(eol)}`;
        const bytes = encode(text);
        const layout = readCsvLayout(bytes);
        if (csvSlices(bytes, layout.bodyStart, bytes.length, layout.sep, pool.size).length > 1) split++;
        const single = scanCsvBytes(fixtureIndex(), bytes);
        expect(await scanCsv(fixtureIndex(), bytes, { pool, parallelFromBytes: 0 })).toEqual(single);
      }),
      { numRuns: 150, seed: 20_261_204 },
    );
    expect(split).toBeGreaterThanOrEqual(50);
  });

  it("cuts only after line ends outside quoted fields", () => {
    const text = 'h\n"a\nb\nc\nd\ne\nf"\n1\n2\n';
    const slices = csvSlices(encode(text), 2, text.length, 0x2c, 4);
    const cuts = slices.slice(1).map((s) => s.from);
    expect(cuts.every((at) => at > text.indexOf('f"'))).toBe(true);
    expect(slices[0]!.from).toBe(2);
    expect(slices.at(-1)!.to).toBe(text.length);
    // A quoted field never closed: everything after its opening is one cell, so no cut after it.
    const open = 'h\n1\n2\n"open\n3\n4\n5\n';
    expect(csvSlices(encode(open), 2, open.length, 0x2c, 4).map((s) => s.from)).toEqual([2, 6]);
  });
});

describe("scanCsv in parallel: failures fail closed", () => {
  const bytes = encode(FIXTURES["the raw rows (leaked, with identifiers)"]!);

  it("error: a worker that crashes fails the scan with GATE_SCAN_FAILED", async () => {
    await expect(
      scanCsv(fixtureIndex(), bytes, { pool: crashing, parallelFromBytes: 0 }),
    ).rejects.toMatchObject({
      code: "GATE_SCAN_FAILED",
    });
  });

  it("error: the gate run fails instead of giving a report (never an approval)", async () => {
    const path = "rows.csv";
    const run = checkOutputs({
      files: [{ path, bytes }],
      declared: [declaredOutputSchema.parse({ kind: "free_text", path, format: "csv", description: "rows" })],
      policy: gatePolicySchema.parse({}),
      fingerprints: fixtureIndex(),
      scan: { pool: crashing, parallelFromBytes: 0 },
    });
    await expect(run).rejects.toBeInstanceOf(Cce4longError);
    await expect(run).rejects.toMatchObject({ code: "GATE_SCAN_FAILED" });
  });

  it("error: a scan that throws in a worker fails the slice; the pool goes on working", async () => {
    const index = fixtureIndex();
    const tagKey = index.key.tagKeyForWorker();
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    const broken = index.sets.bands.shared();
    const request = {
      bytes: shared,
      layout: readCsvLayout(bytes),
      from: 0,
      to: bytes.length,
      index: {
        params: index.params,
        stats: index.stats,
        sets: {
          identifiers: index.sets.identifiers.shared(),
          qiValues: index.sets.qiValues.shared(),
          rareCombos: index.sets.rareCombos.shared(),
          shingleValues: index.sets.shingleValues.shared(),
          bands: { ...broken, shift: broken.shift + 1 },
        },
      },
      tagKey,
    };
    await expect(pool.scan(request)).rejects.toMatchObject({ code: "GATE_SCAN_FAILED" });
    expect(tagKey.byteLength).toBe(0); // transferred: no copy of the key stays with the sender
    expect(await scanCsv(index, bytes, { pool, parallelFromBytes: 0 })).toEqual(scanCsvBytes(index, bytes));
  });

  it("error: a worker that never answers fails the scan after the slice timeout", async () => {
    const hanging = new ScanWorkerPool({
      size: 2,
      sliceTimeoutMs: 1_500,
      entry: {
        url: new URL("../test-support/hanging-scan-worker.ts", import.meta.url),
        execArgv: ["--import", "tsx"],
      },
    });
    try {
      const started = performance.now();
      await expect(
        scanCsv(fixtureIndex(), bytes, { pool: hanging, parallelFromBytes: 0 }),
      ).rejects.toMatchObject({ code: "GATE_SCAN_FAILED", detail: { timeoutMs: 1_500 } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(1_400);
      expect(hanging.workers).toBe(0); // the stuck worker was dropped
    } finally {
      await hanging.close();
    }
  });

  it("error: closing the pool mid-scan fails the scan", async () => {
    const closing = new ScanWorkerPool({ size: 2 });
    const run = scanCsv(fixtureIndex(), bytes, { pool: closing, parallelFromBytes: 0 });
    await closing.close();
    await expect(run).rejects.toMatchObject({ code: "GATE_SCAN_FAILED" });
  });
});

describe("the bundled scan worker", () => {
  it("loads beside a bundle built with the Privacy Plane's settings and scans as one thread does", {
    timeout: 120_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), "cce4long-scan-bundle-"));
    try {
      const worker = BUNDLES.find((b) => b.name === "gate-scan-worker")!;
      const privacyPlane = BUNDLES.find((b) => b.name === "privacy-plane")!;
      await build(esbuildOptions(worker, REPO_ROOT, join(out, worker.file)));
      const probe = { ...privacyPlane, entry: "enclave-runtime/src/gate/test-support/bundled-scan-probe.ts" };
      await build(esbuildOptions(probe, REPO_ROOT, join(out, "probe.mjs")));
      // Plain node, no tsx: the probe finds gate-scan-worker.mjs the way privacy-plane.mjs does.
      const printed = execFileSync(process.execPath, [join(out, "probe.mjs")], {
        cwd: out,
        encoding: "utf8",
      });
      const { workers, result } = JSON.parse(printed);
      expect(workers).toBe(2);
      const bytes = encode(toDelimited(asGrid(FIXTURE_ROWS.slice(0, 1500)), ","));
      expect(result).toEqual(scanCsvBytes(fixtureIndex(), bytes));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
