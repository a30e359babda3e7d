/**
 * Disclosure rules per declared kind of tabular output (runs inside the TEE): frequency tables,
 * summary statistics, survival tables and regressions, with ACRO's rules and the provider's policy.
 */
import type { GatePolicy } from "@cce4long/protocol/gate/policy";
import type { DeclaredOutput } from "@cce4long/protocol/jobs/declared-outputs";
import { evidence, type Findings } from "../findings";
import { columnIndex, type Table } from "../parse/table";
import { checkCountColumn } from "./counts";
import { failsNkRule, failsPRatio } from "./dominance";

type Declared<K extends DeclaredOutput["kind"]> = Extract<DeclaredOutput, { kind: K }>;

export interface TableCheck {
  suppressedCells: number;
  withheldColumns: string[];
}

export function checkFrequencyTable(
  table: Table,
  d: Declared<"frequency_table">,
  policy: GatePolicy,
  findings: Findings,
): TableCheck {
  requireColumns(table, d.dimensionColumns, findings);
  return {
    suppressedCells: checkCountColumn(table, d.countColumn, d.suppressionMarker, policy, findings),
    withheldColumns: [],
  };
}

export function checkSummaryStatistics(
  table: Table,
  d: Declared<"summary_statistics">,
  policy: GatePolicy,
  findings: Findings,
): TableCheck {
  requireColumns(table, d.groupColumns, findings);
  const suppressedCells = checkCountColumn(table, d.countColumn, d.suppressionMarker, policy, findings);
  const withheldColumns: string[] = [];
  for (const stat of d.statistics) {
    const c = columnIndex(table, stat.column);
    if (c < 0) {
      findings.add(
        "declaration.column_missing",
        "fail",
        undefined,
        `column "${stat.column}" is not in the file`,
      );
      continue;
    }
    if (stat.statistic === "min" || stat.statistic === "max") {
      findings.add("disclosure.extreme_value", "review", { row: 0, column: stat.column });
      continue;
    }
    if (stat.statistic !== "sum") continue;
    const largest = stat.largestContributionColumns ?? [];
    withheldColumns.push(...largest);
    if (largest.length < Math.min(2, policy.nkRule.n)) {
      findings.add("disclosure.dominance_unverifiable", "review", { row: 0, column: stat.column });
      continue;
    }
    const idx = largest.map((name) => columnIndex(table, name));
    if (idx.some((i) => i < 0)) {
      findings.add(
        "declaration.column_missing",
        "fail",
        undefined,
        "a largest-contribution column is not in the file",
      );
      continue;
    }
    table.rows.forEach((row, r) => {
      const total = Number(row[c]);
      const parts = idx.map((i) => Number(row[i])).filter(Number.isFinite);
      if (!Number.isFinite(total) || parts.length === 0) return;
      parts.sort((a, b) => Math.abs(b) - Math.abs(a));
      const cell = evidence(r, stat.column, row[c] ?? "");
      if (failsNkRule(total, parts, policy)) findings.add("disclosure.nk_dominance", "fail", cell);
      if (failsPRatio(total, parts, policy)) findings.add("disclosure.p_ratio", "fail", cell);
    });
  }
  return { suppressedCells, withheldColumns };
}

export function checkSurvivalTable(
  table: Table,
  d: Declared<"survival_table">,
  policy: GatePolicy,
  findings: Findings,
): TableCheck {
  requireColumns(table, [d.timeColumn, ...d.groupColumns], findings);
  const atRisk = columnIndex(table, d.atRiskColumn);
  const events = columnIndex(table, d.eventsColumn);
  if (atRisk < 0 || events < 0) {
    findings.add(
      "declaration.column_missing",
      "fail",
      undefined,
      "the at-risk or events column is not in the file",
    );
    return { suppressedCells: 0, withheldColumns: [] };
  }
  const groups = d.groupColumns.map((g) => columnIndex(table, g));
  const { threshold, checkEvents } = policy.survival;
  const previous = new Map<string, number>();
  let suppressedCells = 0;
  table.rows.forEach((row, r) => {
    const riskRaw = (row[atRisk] ?? "").trim();
    const eventRaw = (row[events] ?? "").trim();
    if (riskRaw === d.suppressionMarker.trim() || riskRaw === "") suppressedCells++;
    const n = Number(riskRaw);
    if (riskRaw !== "" && Number.isFinite(n) && n > 0 && n < threshold) {
      findings.add("disclosure.survival_at_risk", "fail", evidence(r, d.atRiskColumn, riskRaw));
    }
    const e = Number(eventRaw);
    if (eventRaw === "" || !Number.isFinite(e)) return;
    const group = groups.map((g) => row[g] ?? "").join("\u0000");
    const interval = d.eventsAreCumulative ? e - (previous.get(group) ?? 0) : e;
    previous.set(group, e);
    if (checkEvents && interval > 0 && interval < threshold) {
      findings.add("disclosure.survival_events", "fail", evidence(r, d.eventsColumn, eventRaw));
    }
  });
  return { suppressedCells, withheldColumns: [] };
}

/** Residual degrees of freedom from a CSV column (smallest over the rows) or a JSON top-level key. */
export function checkRegression(
  source: { table: Table } | { document: unknown },
  d: Declared<"regression">,
  policy: GatePolicy,
  findings: Findings,
): TableCheck {
  const values: { df: number; cell: ReturnType<typeof evidence> }[] = [];
  const observations: { n: number; cell: ReturnType<typeof evidence> }[] = [];
  if ("table" in source) {
    const c = columnIndex(source.table, d.residualDfField);
    const o = d.observationsField === undefined ? -1 : columnIndex(source.table, d.observationsField);
    source.table.rows.forEach((row, r) => {
      if (c >= 0) values.push({ df: Number(row[c]), cell: evidence(r, d.residualDfField, row[c] ?? "") });
      if (o >= 0)
        observations.push({ n: Number(row[o]), cell: evidence(r, d.observationsField!, row[o] ?? "") });
    });
  } else {
    const doc = source.document as Record<string, unknown> | null;
    const df = doc !== null && typeof doc === "object" ? doc[d.residualDfField] : undefined;
    if (typeof df === "number" || typeof df === "string") {
      values.push({ df: Number(df), cell: evidence(0, d.residualDfField, String(df)) });
    }
    const obs = d.observationsField === undefined || doc === null ? undefined : doc[d.observationsField];
    if (typeof obs === "number" || typeof obs === "string") {
      observations.push({ n: Number(obs), cell: evidence(0, d.observationsField!, String(obs)) });
    }
  }
  const valid = values.filter((v) => Number.isFinite(v.df));
  if (valid.length === 0 || valid.length < values.length) {
    findings.add(
      "disclosure.residual_df_missing",
      "fail",
      undefined,
      `"${d.residualDfField}" is missing or not a number`,
    );
  }
  for (const v of valid) {
    if (v.df < policy.minResidualDf) {
      findings.add(
        "disclosure.low_residual_df",
        "fail",
        v.cell,
        `fewer than ${policy.minResidualDf} residual degrees of freedom`,
      );
    }
  }
  for (const o of observations) {
    if (Number.isFinite(o.n) && o.n < policy.minCellCount)
      findings.add("disclosure.small_cell", "fail", o.cell);
  }
  return { suppressedCells: 0, withheldColumns: [] };
}

function requireColumns(table: Table, columns: readonly string[], findings: Findings): void {
  for (const column of columns) {
    if (columnIndex(table, column) < 0) {
      findings.add("declaration.column_missing", "fail", undefined, `column "${column}" is not in the file`);
    }
  }
}
