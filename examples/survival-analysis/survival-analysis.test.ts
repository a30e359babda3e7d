/**
 * The survival-analysis example finds the signal the cohort generator planted, and its outputs are
 * aggregates that meet the ACRO-default thresholds (runs in Node under vitest, Python as a child).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseJobSpec } from "@cce4long/protocol/jobs/job-spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCohort } from "../../cli/src/cohort/write";
import { parseCsv, runExample } from "../run-example";

const MIN_CELL = 10;
const root = mkdtempSync(join(tmpdir(), "cce4long-survival-"));
const data = join(root, "data");
const output = join(root, "output");
let stdout = "";

beforeAll(async () => {
  mkdirSync(data);
  await writeCohort({ participants: 5000, seed: 20260101n, format: "csv", out: join(data, "cohort.csv") });
  const result = await runExample("survival-analysis", { data, output });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  stdout = result.stdout;
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const read = (file: string) => readFileSync(join(output, file), "utf8");

describe("survival-analysis example on a 5,000-participant cohort", () => {
  it("writes exactly the outputs its job.json declares", () => {
    const spec = parseJobSpec(JSON.parse(readFileSync(join(import.meta.dirname, "job.json"), "utf8")));
    expect(readdirSync(output).sort()).toEqual(spec.outputs.map((o) => o.path).sort());
    expect(stdout).toContain("analysed 5000 participants");
  });

  it("finds that clock-age acceleration raises mortality (Cox coefficient > 0, p < 0.01)", () => {
    const cox = JSON.parse(read("cox_model.json"));
    const accel = cox.coefficients.find((c: { term: string }) => c.term === "clock_age_acceleration");
    expect(accel.coef).toBeGreaterThan(0);
    expect(accel.p_value).toBeLessThan(0.01);
    expect(accel.ci_lower).toBeGreaterThan(0);
    const age = cox.coefficients.find((c: { term: string }) => c.term === "age_at_baseline");
    expect(age.coef).toBeGreaterThan(0.05);
    expect(cox.df_residual).toBeGreaterThanOrEqual(10);
  });

  it("reports Kaplan-Meier by the five age bands with no count cell under 10", () => {
    const { header, rows } = parseCsv(read("km_by_age_band.csv"));
    expect(header).toEqual([
      "age_band",
      "time_years",
      "n_at_risk",
      "n_events",
      "survival",
      "ci_lower",
      "ci_upper",
    ]);
    expect([...new Set(rows.map((r) => r[0]))]).toEqual(["40-49", "50-59", "60-69", "70-79", "80+"]);
    const counts = rows.flatMap((r) => [r[2]!, r[3]!]).filter((cell) => cell !== "");
    expect(counts.length).toBeGreaterThan(40);
    for (const cell of counts) expect(Number(cell)).toBeGreaterThanOrEqual(MIN_CELL);
    // Survival falls with age band at 12 years.
    const at12 = rows.filter((r) => r[1] === "12").map((r) => Number(r[4]));
    expect(at12[4]!).toBeLessThan(at12[0]!);
  });

  it("keeps cumulative deaths in steps of at least 10 between reported times", () => {
    const { rows } = parseCsv(read("km_by_age_band.csv"));
    const last = new Map<string, number>();
    for (const [band, , , events] of rows) {
      if (events === "") continue;
      const step = Number(events) - (last.get(band!) ?? 0);
      expect(step).toBeGreaterThanOrEqual(MIN_CELL);
      last.set(band!, Number(events));
    }
  });

  it("suppresses small cells in the frequency table and summary statistics", () => {
    const freq = parseCsv(read("deaths_by_age_sex.csv"));
    expect(freq.rows).toHaveLength(5 * 2 * 2);
    for (const row of freq.rows) if (row[3] !== "") expect(Number(row[3])).toBeGreaterThanOrEqual(MIN_CELL);
    const summary = parseCsv(read("summary_statistics.csv"));
    for (const row of summary.rows) expect(Number(row[2])).toBeGreaterThanOrEqual(MIN_CELL);
  });

  it("puts no participant identifier in any output", () => {
    const cohort = parseCsv(readFileSync(join(data, "cohort.csv"), "utf8"));
    const all = readdirSync(output).map(read).join("\n");
    for (const column of ["participant_id", "full_name", "medical_record_number", "postcode"]) {
      const i = cohort.header.indexOf(column);
      for (const row of cohort.rows.slice(0, 200)) expect(all).not.toContain(row[i]!);
    }
  });
});
