/**
 * Tests of the synthetic cohort generator and its CSV/Parquet writers (runs in Node under vitest).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import {
  LONGEVITY_COHORT_COLUMNS,
  LONGEVITY_COHORT_SCHEMA,
} from "@cce4long/protocol/datasets/longevity-cohort";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { afterAll, describe, expect, it } from "vitest";
import { type CohortFormat, writeCohort } from "./write";

const dir = mkdtempSync(join(tmpdir(), "cce4long-cohort-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const out = (format: CohortFormat) => join(dir, `c${counter++}.${format}`);

async function generate(participants: number, seed: bigint, format: CohortFormat = "csv") {
  const path = out(format);
  const summary = await writeCohort({ participants, seed, format, out: path });
  return { path, summary };
}

function parseCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  return { header: lines[0]!.split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

describe("determinism", () => {
  it("the same seed gives identical bytes, in CSV and in Parquet", async () => {
    for (const format of ["csv", "parquet"] as const) {
      const a = await generate(500, 12345n, format);
      const b = await generate(500, 12345n, format);
      expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true);
      expect(a.summary.sha256).toBe(b.summary.sha256);
    }
  });

  it("different seeds give different cohorts", async () => {
    const a = await generate(200, 1n);
    const b = await generate(200, 2n);
    expect(a.summary.sha256).not.toBe(b.summary.sha256);
    expect(parseCsv(a.path).rows[0]).not.toEqual(parseCsv(b.path).rows[0]);
  });

  it("a smaller cohort is a prefix of a larger one with the same seed", async () => {
    const small = readFileSync((await generate(100, 9n)).path, "utf8");
    const large = readFileSync((await generate(300, 9n)).path, "utf8");
    expect(large.startsWith(small)).toBe(true);
  });
});

describe("shape and values", () => {
  it("writes a header with the dictionary's columns and one line per participant", async () => {
    const { path, summary } = await generate(1234, 5n);
    const { header, rows } = parseCsv(path);
    expect(header).toEqual(LONGEVITY_COHORT_COLUMNS);
    expect(rows).toHaveLength(1234);
    expect(summary.participants).toBe(1234);
    for (const row of rows) expect(row).toHaveLength(header.length);
  });

  it("keeps every value inside the dictionary's ranges and categories", async () => {
    const { path } = await generate(3000, 6n);
    const { header, rows } = parseCsv(path);
    for (const column of LONGEVITY_COHORT_SCHEMA.columns) {
      const i = header.indexOf(column.name);
      const values = rows.map((r) => r[i]!);
      if ("categories" in column && column.categories) {
        expect(new Set(values).size).toBeLessThanOrEqual(column.categories.length);
        for (const v of values) expect(column.categories).toContain(v);
      }
      if ("min" in column && column.min !== undefined && "max" in column && column.max !== undefined) {
        const numbers = values.map(Number);
        expect(numbers.every((x) => Number.isFinite(x) && x >= column.min! && x <= column.max!)).toBe(true);
      }
    }
  });

  it("makes identifiers consistent: unique ids and record numbers, postcode in its district, age from date of birth", async () => {
    const { path } = await generate(5000, 7n);
    const { header, rows } = parseCsv(path);
    const col = (name: string) => rows.map((r) => r[header.indexOf(name)]!);
    expect(new Set(col("participant_id")).size).toBe(5000);
    expect(new Set(col("medical_record_number")).size).toBe(5000);
    for (const mrn of col("medical_record_number")) expect(mrn).toMatch(/^MRN\d{9}$/);
    const districts = col("postcode_district");
    col("postcode").forEach((p, i) => {
      expect(p).toMatch(/^[A-Z]{1,2}\d{1,2} \d[A-Z]{2}$/);
      expect(p.split(" ")[0]).toBe(districts[i]);
    });
    const ages = col("age_at_baseline").map(Number);
    col("date_of_birth").forEach((dob, i) => {
      const year = Number(dob.slice(0, 4));
      // Recruitment ran 2006-2010, so birth year + age lands in 2005..2010.
      expect(year + ages[i]!).toBeGreaterThanOrEqual(2005);
      expect(year + ages[i]!).toBeLessThanOrEqual(2010);
    });
  });

  it("has plausible correlations: the clock tracks age, deaths rise with age and acceleration", async () => {
    const { path, summary } = await generate(5000, 8n);
    const { header, rows } = parseCsv(path);
    const num = (name: string) => rows.map((r) => Number(r[header.indexOf(name)]));
    const age = num("age_at_baseline");
    const clock = num("epigenetic_clock_age");
    const died = num("died");
    expect(correlation(age, clock)).toBeGreaterThan(0.9);
    const deathRate = (keep: (i: number) => boolean) => {
      const idx = died.map((_, i) => i).filter(keep);
      return idx.reduce((s, i) => s + died[i]!, 0) / idx.length;
    };
    expect(deathRate((i) => age[i]! >= 70)).toBeGreaterThan(3 * deathRate((i) => age[i]! < 55));
    expect(deathRate((i) => clock[i]! - age[i]! > 4)).toBeGreaterThan(
      deathRate((i) => clock[i]! - age[i]! < -2),
    );
    expect(summary.deaths).toBe(died.reduce((a, b) => a + b, 0));
    expect(summary.deaths / 5000).toBeGreaterThan(0.1);
    expect(summary.deaths / 5000).toBeLessThan(0.4);
  });
});

describe("CSV and Parquet", () => {
  it("hold the same values for the same seed", async () => {
    const csv = parseCsv((await generate(700, 11n, "csv")).path);
    const file = await asyncBufferFromFile((await generate(700, 11n, "parquet")).path);
    const objects = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(objects).toHaveLength(700);
    expect(Object.keys(objects[0]!)).toEqual(LONGEVITY_COHORT_COLUMNS);
    objects.forEach((object, r) => {
      LONGEVITY_COHORT_SCHEMA.columns.forEach((column, c) => {
        const fromCsv = csv.rows[r]![c]!;
        const value = object[column.name];
        if (column.type === "date") expect((value as Date).toISOString().slice(0, 10)).toBe(fromCsv);
        else if (column.type === "number" || column.type === "integer") expect(value).toBe(Number(fromCsv));
        else expect(value).toBe(fromCsv);
      });
    });
  });
});

describe("bad input", () => {
  it.each([0, -5, 1.5, Number.NaN, 100_000_000])(
    "error: participants %s is refused",
    async (participants) => {
      const path = out("csv");
      await expect(writeCohort({ participants, seed: 1n, format: "csv", out: path })).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
      expect(existsSync(path)).toBe(false);
    },
  );

  it("error: an unknown format is refused", async () => {
    const promise = writeCohort({
      participants: 1,
      seed: 1n,
      format: "xlsx" as CohortFormat,
      out: out("csv"),
    });
    await expect(promise).rejects.toBeInstanceOf(Cce4longError);
  });

  it("error: an unwritable path fails with a typed error and leaves no file", async () => {
    for (const format of ["csv", "parquet"] as const) {
      const path = join(dir, "missing-dir", `x.${format}`);
      await expect(writeCohort({ participants: 10, seed: 1n, format, out: path })).rejects.toMatchObject({
        code: "INTERNAL",
      });
      expect(existsSync(path)).toBe(false);
    }
  });
});

function correlation(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
