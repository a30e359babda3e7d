/**
 * Tests of the copied-rows rule (runs in Node under vitest): its thresholds, and against an index
 * large enough that unrelated rows meet band tags by chance, that clean rows of another cohort pass
 * while a few dozen copied rows hidden among them are still rejected.
 */
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import type { CohortRow } from "@cce4long/cli/cohort/model";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { LONGEVITY_COHORT_SCHEMA } from "@cce4long/protocol/datasets/longevity-cohort";
import { gatePolicySchema } from "@cce4long/protocol/gate/policy";
import { declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { beforeAll, describe, expect, it } from "vitest";
import { checkOutputs } from "./check-outputs";
import { CHANCE_MATCH_SHARE, copiedRowsFound } from "./copied-rows";
import { buildFingerprintIndex } from "./fingerprints/build";
import type { FingerprintIndex } from "./fingerprints/fingerprint-index";
import type { LeakageScan } from "./fingerprints/scan";
import { scanCsvBytes } from "./parse/csv-scan";

function scanWith(rows: number, matched: number, strong: number): LeakageScan {
  return {
    rows,
    identifierCells: { count: 0, cells: [] },
    rareComboRows: { count: 0, cells: [] },
    matchedRows: { count: matched, cells: [] },
    strongMatchedRows: strong,
  };
}

describe("copiedRowsFound", () => {
  it("flags minMatchedRows rows with two band hits at any output size", () => {
    expect(copiedRowsFound(scanWith(1_000_000, 3, 3), 3)).toBe(true);
    expect(copiedRowsFound(scanWith(1_000_000, 3, 2), 3)).toBe(false);
  });

  it("flags single hits only beyond the chance allowance of the output's rows", () => {
    const rows = 100_000;
    const allowance = rows * CHANCE_MATCH_SHARE;
    expect(copiedRowsFound(scanWith(rows, allowance - 1, 0), 3)).toBe(false);
    expect(copiedRowsFound(scanWith(rows, allowance, 0), 3)).toBe(true);
  });

  it("never asks for fewer than minMatchedRows rows in a small output", () => {
    expect(copiedRowsFound(scanWith(40, 2, 0), 3)).toBe(false);
    expect(copiedRowsFound(scanWith(40, 3, 0), 3)).toBe(true);
  });
});

// Attribute columns only (from smoking_status on): what a de-identified row-level output holds.
const ATTRIBUTES_FROM = 10;
const attributes = (line: string) => `${line.trimEnd().split(",").slice(ATTRIBUTES_FROM).join(",")}\n`;
const rowsOf = (participants: number, seed: bigint): CohortRow[] => [...cohortRows({ participants, seed })];
const csvOf = (rows: readonly CohortRow[]) =>
  new TextEncoder().encode(attributes(CSV_HEADER) + rows.map((r) => attributes(csvLine(r))).join(""));

describe("copied rows against a 150,000-row index", () => {
  let index: FingerprintIndex;
  let indexed: CohortRow[];
  const policy = gatePolicySchema.parse({ freeTextNeedsReview: false });
  const check = (bytes: Uint8Array) =>
    checkOutputs({
      files: [{ path: "rows.csv", bytes }],
      declared: [
        declaredOutputSchema.parse({
          kind: "free_text",
          path: "rows.csv",
          format: "csv",
          description: "rows",
        }),
      ],
      policy,
      fingerprints: index,
    });

  beforeAll(() => {
    indexed = rowsOf(150_000, 7n);
    index = buildFingerprintIndex({
      datasetKey: new Uint8Array(32).fill(3),
      schema: LONGEVITY_COHORT_SCHEMA,
      rows: indexed,
    });
  }, 60_000);

  it("passes 50,000 clean rows of another cohort, though some meet a band tag by chance", async () => {
    const clean = csvOf(rowsOf(50_000, 8n));
    // The chance regime is real here: the old rule (any 3 rows with a hit) would have rejected this.
    const { scan } = scanCsvBytes(index, clean);
    expect(scan.matchedRows.count).toBeGreaterThanOrEqual(3);
    expect(scan.strongMatchedRows).toBe(0);
    const report = await check(clean);
    expect(report.decision).toBe("auto-approved");
  }, 20_000);

  it("rejects 60 copied rows hidden among 50,000 clean ones", async () => {
    const clean = rowsOf(50_000, 8n);
    const mixed = [...clean];
    for (let i = 0; i < 60; i++) mixed.splice(i * 800, 0, indexed[1000 + i]!);
    const report = await check(csvOf(mixed));
    expect(report.decision).toBe("rejected-by-rules");
    const finding = report.files[0]!.findings.find((f) => f.rule === "leakage.dataset_rows");
    expect(finding).toBeDefined();
  }, 20_000);
});
