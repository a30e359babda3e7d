/**
 * The Output Gate's table of cases (runs in Node under vitest): each output set with the verdict and
 * the rules it must get. Safe aggregates must pass; small cells, zeros, dominance and too few degrees
 * of freedom go to review; raw rows in any disguise, identifiers, bad types and sizes are rejected.
 */
import { type GatePolicyInput, gatePolicySchema } from "@cce4long/protocol/gate/policy";
import { type GateReport, gateReportSchema } from "@cce4long/protocol/gate/report";
import { type DeclaredOutput, declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { beforeAll, describe, expect, it } from "vitest";
import { checkOutputs, type OutputFile } from "./check-outputs";
import {
  frequencyCsv,
  regressionCsv,
  SUMMARY_STATISTICS,
  summaryCsv,
  survivalCsv,
} from "./test-support/aggregates";
import {
  asGrid,
  FIXTURE_ROWS,
  fixtureIndex,
  select,
  text,
  toDelimited,
  toJsonColumns,
  toJsonObjects,
  toParquet,
  toTextDump,
} from "./test-support/cohort-fixture";

const d = (input: Record<string, unknown>): DeclaredOutput =>
  declaredOutputSchema.parse({ description: "an output", ...input });

const FREQ = (path = "freq.csv") =>
  d({
    kind: "frequency_table",
    path,
    format: "csv",
    countColumn: "n",
    dimensionColumns: ["sex", "age_band", "smoking_status"],
  });
const SUMMARY = d({
  kind: "summary_statistics",
  path: "summary.csv",
  format: "csv",
  countColumn: "n",
  groupColumns: ["sex", "age_band"],
  statistics: SUMMARY_STATISTICS,
});
const REGRESSION = d({
  kind: "regression",
  path: "cox.csv",
  format: "csv",
  model: "cox",
  residualDfField: "df_resid",
});
const SURVIVAL = d({
  kind: "survival_table",
  path: "km.csv",
  format: "csv",
  timeColumn: "year",
  atRiskColumn: "n_at_risk",
  eventsColumn: "n_events",
  groupColumns: ["sex"],
});
const FREE = (path: string, format: string) => d({ kind: "free_text", path, format });

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);

// The leaking job's raw material: 300 rows of the cohort, as the cohort CSV writes them.
const RAW = asGrid(FIXTURE_ROWS.slice(1000, 1300));
const DEIDENTIFIED = [
  "age_at_baseline",
  "sex",
  "bmi",
  "crp_mg_l",
  "hba1c_mmol_mol",
  "albumin_g_l",
  "creatinine_umol_l",
  "lymphocyte_pct",
  "alkaline_phosphatase_u_l",
  "white_cell_count_10e9_l",
  "epigenetic_clock_age",
  "follow_up_years",
  "died",
];

interface Case {
  name: string;
  files: OutputFile[];
  declared: DeclaredOutput[];
  policy?: GatePolicyInput;
  decision: GateReport["decision"];
  /** Rules that must appear (any file or the set); none other may fail when `only` is set. */
  rules?: string[];
}

const csv = (path: string, body: string): OutputFile => ({ path, bytes: text(body) });

const CASES: Case[] = [
  // --- safe aggregates pass -----------------------------------------------------------------
  {
    name: "a frequency table with every count >= 10",
    files: [csv("freq.csv", frequencyCsv(FIXTURE_ROWS))],
    declared: [FREQ()],
    decision: "auto-approved",
  },
  {
    name: "means and SDs by sex and age band",
    files: [csv("summary.csv", summaryCsv(FIXTURE_ROWS))],
    declared: [SUMMARY],
    decision: "auto-approved",
  },
  {
    name: "a regression table with 2,990 residual df",
    files: [csv("cox.csv", regressionCsv(2990))],
    declared: [REGRESSION],
    decision: "auto-approved",
  },
  {
    name: "a regression in JSON with its coefficients",
    files: [
      {
        path: "cox.json",
        bytes: text(
          JSON.stringify({
            df_resid: 2990,
            nobs: 3000,
            coefficients: [{ term: "crp_mg_l", coef: 0.0213, se: 0.0044 }],
          }),
        ),
      },
    ],
    declared: [
      d({
        kind: "regression",
        path: "cox.json",
        format: "json",
        model: "cox",
        residualDfField: "df_resid",
        observationsField: "nobs",
        coefficientsField: "coefficients",
      }),
    ],
    decision: "auto-approved",
  },
  {
    name: "a yearly Kaplan-Meier table",
    files: [csv("km.csv", survivalCsv(FIXTURE_ROWS))],
    declared: [SURVIVAL],
    decision: "auto-approved",
  },
  {
    name: "all safe aggregates together",
    files: [
      csv("freq.csv", frequencyCsv(FIXTURE_ROWS)),
      csv("summary.csv", summaryCsv(FIXTURE_ROWS)),
      csv("cox.csv", regressionCsv(2990)),
      csv("km.csv", survivalCsv(FIXTURE_ROWS)),
    ],
    declared: [FREQ(), SUMMARY, REGRESSION, SURVIVAL],
    decision: "auto-approved",
  },
  {
    name: "free text without leaks when the policy lets free text through",
    files: [
      csv("notes.md", "# Results\nMortality rose with epigenetic age acceleration (HR 1.08 per year).\n"),
    ],
    declared: [FREE("notes.md", "md")],
    policy: { freeTextNeedsReview: false },
    decision: "auto-approved",
  },
  // --- disclosure rules: review by default --------------------------------------------------
  {
    name: "a small cell",
    files: [csv("freq.csv", "sex,age_band,smoking_status,n\nF,40-54,never,320\nF,85+,current,3\n")],
    declared: [FREQ()],
    decision: "needs-review",
    rules: ["disclosure.small_cell"],
  },
  {
    name: "a zero cell",
    files: [csv("freq.csv", "sex,age_band,smoking_status,n\nF,40-54,never,320\nF,85+,current,0\n")],
    declared: [FREQ()],
    decision: "needs-review",
    rules: ["disclosure.zero_cell"],
  },
  {
    name: "zeros allowed by the policy",
    files: [csv("freq.csv", "sex,age_band,smoking_status,n\nF,40-54,never,320\nF,85+,current,0\n")],
    declared: [FREQ()],
    policy: { zerosDisclosive: false },
    decision: "auto-approved",
  },
  {
    name: "counts not rounded to 5 under a rounding policy",
    files: [csv("freq.csv", "sex,age_band,smoking_status,n\nF,40-54,never,320\nF,55-69,current,46\n")],
    declared: [FREQ()],
    policy: { rounding: { kind: "multiple_of", base: 5 } },
    decision: "needs-review",
    rules: ["disclosure.not_rounded"],
  },
  {
    name: "suppressed cells are counted, and too many go to review",
    files: [
      csv("freq.csv", "sex,age_band,smoking_status,n\nF,40-54,never,320\nF,85+,current,\nM,85+,current,\n"),
    ],
    declared: [FREQ()],
    decision: "needs-review",
    rules: ["disclosure.suppressed_share"],
  },
  {
    name: "a sum dominated by its two largest contributors (nk rule)",
    files: [
      csv("sums.csv", "region,n,total_cost,top1,top2\nWales,12,1000,700,250\nLondon,40,5000,300,250\n"),
    ],
    declared: [
      d({
        kind: "summary_statistics",
        path: "sums.csv",
        format: "csv",
        countColumn: "n",
        groupColumns: ["region"],
        statistics: [
          { column: "total_cost", statistic: "sum", largestContributionColumns: ["top1", "top2"] },
        ],
      }),
    ],
    decision: "needs-review",
    rules: ["disclosure.nk_dominance", "disclosure.p_ratio"],
  },
  {
    name: "a sum whose remainder is under 10% of its largest contributor (p-ratio only)",
    files: [csv("sums.csv", "region,n,total_cost,top1,top2\nWales,12,1000,500,460\n")],
    declared: [
      d({
        kind: "summary_statistics",
        path: "sums.csv",
        format: "csv",
        countColumn: "n",
        groupColumns: ["region"],
        statistics: [
          { column: "total_cost", statistic: "sum", largestContributionColumns: ["top1", "top2"] },
        ],
      }),
    ],
    policy: { nkRule: { n: 2, k: 0.99 } },
    decision: "needs-review",
    rules: ["disclosure.p_ratio"],
  },
  {
    name: "a sum declared without its largest contributions",
    files: [csv("sums.csv", "region,n,total_cost\nWales,12,1000\n")],
    declared: [
      d({
        kind: "summary_statistics",
        path: "sums.csv",
        format: "csv",
        countColumn: "n",
        statistics: [{ column: "total_cost", statistic: "sum" }],
      }),
    ],
    decision: "needs-review",
    rules: ["disclosure.dominance_unverifiable"],
  },
  {
    name: "a maximum (one person's value)",
    files: [csv("max.csv", "sex,n,max_crp\nF,1590,98.2\n")],
    declared: [
      d({
        kind: "summary_statistics",
        path: "max.csv",
        format: "csv",
        countColumn: "n",
        groupColumns: ["sex"],
        statistics: [{ column: "max_crp", statistic: "max" }],
      }),
    ],
    decision: "needs-review",
    rules: ["disclosure.extreme_value"],
  },
  {
    name: "a regression with 6 residual df",
    files: [csv("cox.csv", regressionCsv(6))],
    declared: [REGRESSION],
    decision: "needs-review",
    rules: ["disclosure.low_residual_df"],
  },
  {
    name: "a regression without its df column",
    files: [csv("cox.csv", "term,coef\ncrp,0.02\n")],
    declared: [REGRESSION],
    decision: "needs-review",
    rules: ["disclosure.residual_df_missing"],
  },
  {
    name: "a survival table with 4 at risk and 2 events",
    files: [csv("km.csv", "sex,year,n_at_risk,n_events,survival\nF,0,1590,21,0.98\nF,16,4,2,0.41\n")],
    declared: [SURVIVAL],
    decision: "needs-review",
    rules: ["disclosure.survival_at_risk", "disclosure.survival_events"],
  },
  {
    name: "disclosure failures rejected when the provider says so",
    files: [csv("freq.csv", "sex,age_band,smoking_status,n\nF,85+,current,3\n")],
    declared: [FREQ()],
    policy: { onFailure: { disclosure: "reject" } },
    decision: "rejected-by-rules",
    rules: ["disclosure.small_cell"],
  },
  // --- raw rows in many disguises are rejected ----------------------------------------------
  {
    name: "the raw rows as CSV",
    files: [csv("out.csv", toDelimited(RAW, ","))],
    declared: [FREE("out.csv", "csv")],
    decision: "rejected-by-rules",
    rules: ["leakage.identifier", "leakage.dataset_rows"],
  },
  {
    name: "de-identified rows, columns reordered, ; separated",
    files: [csv("out.csv", toDelimited(select(RAW, [...DEIDENTIFIED].reverse()), ";"))],
    declared: [FREE("out.csv", "csv")],
    decision: "rejected-by-rules",
    rules: ["leakage.dataset_rows"],
  },
  {
    name: "de-identified rows rounded to 1 decimal, tab separated",
    files: [csv("out.csv", toDelimited(select(RAW, DEIDENTIFIED, 1), "\t"))],
    declared: [FREE("out.csv", "csv")],
    decision: "rejected-by-rules",
    rules: ["leakage.dataset_rows"],
  },
  {
    name: "a subset of rows and 7 biomarker columns, | separated",
    files: [
      csv(
        "out.csv",
        toDelimited(
          select(RAW, [
            "crp_mg_l",
            "albumin_g_l",
            "hba1c_mmol_mol",
            "creatinine_umol_l",
            "lymphocyte_pct",
            "epigenetic_clock_age",
            "follow_up_years",
          ]).slice(0, 120),
          "|",
        ),
      ),
    ],
    declared: [FREE("out.csv", "csv")],
    decision: "rejected-by-rules",
    rules: ["leakage.dataset_rows"],
  },
  {
    name: "de-identified rows as a JSON array of objects",
    files: [csv("out.json", toJsonObjects(select(RAW, DEIDENTIFIED)))],
    declared: [FREE("out.json", "json")],
    decision: "rejected-by-rules",
    rules: ["leakage.dataset_rows"],
  },
  {
    name: "de-identified rows as columnar JSON",
    files: [csv("out.json", toJsonColumns(select(RAW, DEIDENTIFIED)))],
    declared: [FREE("out.json", "json")],
    decision: "rejected-by-rules",
    rules: ["leakage.dataset_rows"],
  },
  {
    name: "de-identified rows as Parquet",
    files: [{ path: "out.parquet", bytes: toParquet(select(RAW, DEIDENTIFIED)) }],
    declared: [
      d({
        kind: "frequency_table",
        path: "out.parquet",
        format: "parquet",
        countColumn: "age_at_baseline",
        dimensionColumns: ["sex"],
      }),
    ],
    decision: "rejected-by-rules",
    rules: ["leakage.dataset_rows"],
  },
  {
    name: "the raw rows as a fixed-width text dump",
    files: [csv("dump.txt", toTextDump(select(RAW, ["full_name", "date_of_birth", ...DEIDENTIFIED])))],
    declared: [FREE("dump.txt", "txt")],
    decision: "rejected-by-rules",
    rules: ["leakage.identifier", "leakage.dataset_rows"],
  },
  {
    name: "a raw copy hidden in a frequency table's declaration",
    files: [
      csv(
        "freq.csv",
        toDelimited(
          select(RAW, [
            "sex",
            "bmi",
            "crp_mg_l",
            "hba1c_mmol_mol",
            "creatinine_umol_l",
            "epigenetic_clock_age",
            "follow_up_years",
            "age_at_baseline",
          ]),
          ",",
        ),
      ),
    ],
    declared: [
      d({
        kind: "frequency_table",
        path: "freq.csv",
        format: "csv",
        countColumn: "age_at_baseline",
        dimensionColumns: ["sex"],
      }),
    ],
    decision: "rejected-by-rules",
    rules: ["leakage.dataset_rows"],
  },
  {
    name: "one participant's name and record number in a sentence",
    files: [csv("notes.txt", `Checked the outlier: ${RAW[1]![1]} (${RAW[1]![2]}) has a very high CRP.\n`)],
    declared: [FREE("notes.txt", "txt")],
    decision: "rejected-by-rules",
    rules: ["leakage.identifier"],
  },
  {
    name: "rare quasi-identifier combinations listed per row",
    files: [
      csv(
        "qi.csv",
        toDelimited(select(RAW, ["sex", "age_at_baseline", "ethnicity", "region", "postcode_district"]), ","),
      ),
    ],
    declared: [FREE("qi.csv", "csv")],
    decision: "rejected-by-rules",
    rules: ["leakage.rare_combination"],
  },
  // --- types, declarations, limits ----------------------------------------------------------
  {
    name: "a PNG figure goes to review",
    files: [{ path: "km.png", bytes: PNG }],
    declared: [d({ kind: "figure", path: "km.png", format: "png" })],
    decision: "needs-review",
    rules: ["disclosure.image"],
  },
  {
    name: "an SVG figure goes to review",
    files: [csv("km.svg", '<svg xmlns="http://www.w3.org/2000/svg"><text>Survival by sex</text></svg>')],
    declared: [d({ kind: "figure", path: "km.svg", format: "svg" })],
    decision: "needs-review",
    rules: ["disclosure.image"],
  },
  {
    name: "model weights go to review",
    files: [
      { path: "w.npy", bytes: new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0xff, 0x80]) },
    ],
    declared: [d({ kind: "model_weights", path: "w.npy", format: "npy" })],
    decision: "needs-review",
    rules: ["disclosure.binary"],
  },
  {
    name: "free text goes to review by default",
    files: [csv("notes.md", "All fine.\n")],
    declared: [FREE("notes.md", "md")],
    decision: "needs-review",
    rules: ["disclosure.free_text"],
  },
  {
    name: "a CSV that is really a PNG",
    files: [{ path: "freq.csv", bytes: PNG }],
    declared: [FREQ()],
    decision: "rejected-by-rules",
    rules: ["declaration.format_mismatch"],
  },
  {
    name: "a PNG that is really a CSV",
    files: [csv("km.png", "a,b\n1,2\n")],
    declared: [d({ kind: "figure", path: "km.png", format: "png" })],
    decision: "rejected-by-rules",
    rules: ["declaration.format_mismatch"],
  },
  {
    name: "an undeclared file",
    files: [csv("freq.csv", frequencyCsv(FIXTURE_ROWS)), csv("extra.csv", "a\n1\n")],
    declared: [FREQ()],
    decision: "rejected-by-rules",
    rules: ["declaration.missing"],
  },
  {
    name: "a declared file that was not produced",
    files: [],
    declared: [FREQ()],
    decision: "rejected-by-rules",
    rules: ["declaration.not_produced"],
  },
  {
    name: "a declared column missing",
    files: [csv("freq.csv", "sex,count\nF,100\n")],
    declared: [FREQ()],
    decision: "rejected-by-rules",
    rules: ["declaration.column_missing"],
  },
  {
    name: "an executable",
    files: [csv("run.sh", "#!/bin/sh\n")],
    declared: [],
    decision: "rejected-by-rules",
    rules: ["limits.type_not_allowed"],
  },
  {
    name: "a file over the size limit",
    files: [csv("freq.csv", frequencyCsv(FIXTURE_ROWS))],
    declared: [FREQ()],
    policy: { limits: { maxFileBytes: 100 } },
    decision: "rejected-by-rules",
    rules: ["limits.file_too_large"],
  },
  {
    name: "too many files",
    files: [csv("a.csv", frequencyCsv(FIXTURE_ROWS)), csv("b.csv", frequencyCsv(FIXTURE_ROWS))],
    declared: [FREQ("a.csv"), FREQ("b.csv")],
    policy: { limits: { maxFiles: 1 } },
    decision: "rejected-by-rules",
    rules: ["limits.too_many_files"],
  },
  {
    name: "an output set over the total size limit",
    files: [csv("a.csv", frequencyCsv(FIXTURE_ROWS)), csv("b.csv", frequencyCsv(FIXTURE_ROWS))],
    declared: [FREQ("a.csv"), FREQ("b.csv")],
    policy: { limits: { maxTotalBytes: 600 } },
    decision: "rejected-by-rules",
    rules: ["limits.total_too_large"],
  },
];

describe("checkOutputs: table of cases", () => {
  beforeAll(() => {
    fixtureIndex();
  });

  for (const c of CASES) {
    it(`${c.decision}: ${c.name}`, async () => {
      const report = await checkOutputs({
        files: c.files,
        declared: c.declared,
        policy: gatePolicySchema.parse(c.policy ?? {}),
        fingerprints: fixtureIndex(),
      });
      expect(gateReportSchema.safeParse(report).success).toBe(true);
      const rules = [...report.setFindings, ...report.files.flatMap((f) => f.findings)].map((f) => f.rule);
      expect({ decision: report.decision, rules }).toEqual({
        decision: c.decision,
        rules: expect.arrayContaining(c.rules ?? []),
      });
      if (c.decision === "auto-approved") expect(report.files.every((f) => f.verdict === "pass")).toBe(true);
    });
  }
});

describe("checkOutputs: evidence and determinism", () => {
  it("reports the output's row positions of copied rows, not dataset rows", async () => {
    const grid = select(RAW, DEIDENTIFIED);
    const report = await checkOutputs({
      files: [csv("out.csv", toDelimited(grid, ","))],
      declared: [FREE("out.csv", "csv")],
      policy: gatePolicySchema.parse({}),
      fingerprints: fixtureIndex(),
    });
    const rows = report.files[0]!.findings.find((f) => f.rule === "leakage.dataset_rows")!;
    expect(rows.count).toBeGreaterThanOrEqual(150);
    expect(rows.count).toBeLessThanOrEqual(grid.length - 1);
    for (const cell of rows.cells) {
      expect(cell.row).toBeLessThan(grid.length - 1);
      expect(cell.value).toBeUndefined();
    }
  });

  it("gives the same report for the same input", async () => {
    const input = {
      files: [
        csv("out.csv", toDelimited(RAW.slice(0, 40), ",")),
        csv("freq.csv", frequencyCsv(FIXTURE_ROWS)),
      ],
      declared: [FREE("out.csv", "csv"), FREQ()],
      policy: gatePolicySchema.parse({}),
      fingerprints: fixtureIndex(),
    };
    expect(await checkOutputs(input)).toEqual(await checkOutputs(input));
  });

  it("lists the largest-contribution columns as withheld", async () => {
    const report = await checkOutputs({
      files: [csv("sums.csv", "region,n,total_cost,top1,top2\nLondon,40,5000,300,250\n")],
      declared: [
        d({
          kind: "summary_statistics",
          path: "sums.csv",
          format: "csv",
          countColumn: "n",
          groupColumns: ["region"],
          statistics: [
            { column: "total_cost", statistic: "sum", largestContributionColumns: ["top1", "top2"] },
          ],
        }),
      ],
      policy: gatePolicySchema.parse({}),
      fingerprints: fixtureIndex(),
    });
    expect(report.decision).toBe("auto-approved");
    expect(report.files[0]!.withheldColumns).toEqual(["top1", "top2"]);
  });
});
