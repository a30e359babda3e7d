/**
 * The leak-rows example really carries raw rows in its disguised outputs, so it is a fair test of
 * the Output Gate (runs in Node under vitest, Python as a child). The gate's own tests decide that
 * it is caught; here we check the disguises hold what they claim to hide.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCohort } from "../../cli/src/cohort/write";
import { parseCsv, runExample } from "../run-example";

const root = mkdtempSync(join(tmpdir(), "cce4long-leak-"));
const data = join(root, "data");
const output = join(root, "output");
let cohort: { header: string[]; rows: string[][] };

beforeAll(async () => {
  mkdirSync(data);
  await writeCohort({ participants: 1000, seed: 77n, format: "csv", out: join(data, "cohort.csv") });
  cohort = parseCsv(readFileSync(join(data, "cohort.csv"), "utf8"));
  const result = await runExample("leak-rows", { data, output });
  expect(result.code).toBe(0);
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const column = (name: string) => cohort.rows.map((r) => r[cohort.header.indexOf(name)]!);

describe("leak-rows example", () => {
  it("model_diagnostics.csv is 200 real rows: reordered, ';'-separated, rounded", () => {
    const leaked = parseCsv(readFileSync(join(output, "model_diagnostics.csv"), "utf8"), ";");
    expect(leaked.rows).toHaveLength(200);
    expect(leaked.header.slice(0, 4)).toEqual(["fitted", "crp_mg_l", "age_at_baseline", "postcode"]);
    const postcodes = new Set(column("postcode"));
    for (const row of leaked.rows) expect(postcodes.has(row[3]!)).toBe(true);
    expect(leaked.rows.every((r) => /^\d+\.0$/.test(r[1]!))).toBe(true);
  });

  it("group_summary.json holds record numbers of real participants", () => {
    const records = JSON.parse(readFileSync(join(output, "group_summary.json"), "utf8")) as Record<
      string,
      unknown
    >[];
    expect(records).toHaveLength(20);
    const mrns = new Set(column("medical_record_number"));
    for (const r of records) expect(mrns.has(r.medical_record_number as string)).toBe(true);
  });

  it("notes.txt names participants with their dates of birth", () => {
    const notes = readFileSync(join(output, "notes.txt"), "utf8");
    expect(notes).toContain(column("full_name")[0]!);
    expect(notes).toContain(column("date_of_birth")[0]!);
  });
});
