/**
 * Test fixture for the gate (runs in Node under vitest): a small synthetic cohort from the CLI's
 * deterministic generator, its fingerprint index, and helpers that render rows the ways a leaking
 * job might (CSV with any separator, rounding, subsets, JSON, Parquet, a fixed-width text dump).
 */
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import type { CohortRow } from "@cce4long/cli/cohort/model";
import { cohortRows } from "@cce4long/cli/cohort/rows";
import { LONGEVITY_COHORT_SCHEMA } from "@cce4long/protocol/datasets/longevity-cohort";
import { parquetWriteBuffer } from "hyparquet-writer";
import { buildFingerprintIndex } from "../fingerprints/build";
import type { FingerprintIndex } from "../fingerprints/fingerprint-index";

export const FIXTURE_KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);
export const FIXTURE_ROWS: CohortRow[] = [...cohortRows({ participants: 3000, seed: 20_260_101n })];

let cached: FingerprintIndex | undefined;
export function fixtureIndex(): FingerprintIndex {
  cached ??= buildFingerprintIndex({
    datasetKey: FIXTURE_KEY,
    schema: LONGEVITY_COHORT_SCHEMA,
    rows: FIXTURE_ROWS,
  });
  return cached;
}

export type Grid = string[][];

/** The rows as the cohort CSV writes them: header first. */
export function asGrid(rows: readonly CohortRow[]): Grid {
  const text = CSV_HEADER + rows.map(csvLine).join("");
  return text
    .trimEnd()
    .split("\n")
    .map((line) => line.split(","));
}

/** Keeps the named columns in the given order; numbers rounded to `decimals` when given. */
export function select(grid: Grid, columns: readonly string[], decimals?: number): Grid {
  const header = grid[0]!;
  const idx = columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new Error(`no column ${c}`);
    return i;
  });
  return grid.map((row, r) =>
    idx.map((i) => {
      const v = row[i]!;
      if (r === 0 || decimals === undefined || !/^-?\d+\.\d+$/.test(v)) return v;
      return Number(v).toFixed(decimals);
    }),
  );
}

export function toDelimited(grid: Grid, separator: string): string {
  return `${grid.map((row) => row.map((v) => (v.includes(separator) ? `"${v}"` : v)).join(separator)).join("\n")}\n`;
}

export function toJsonObjects(grid: Grid): string {
  const [header, ...rows] = grid;
  return JSON.stringify(rows.map((row) => Object.fromEntries(header!.map((h, i) => [h, numeric(row[i]!)]))));
}

export function toJsonColumns(grid: Grid): string {
  const [header, ...rows] = grid;
  return JSON.stringify(Object.fromEntries(header!.map((h, i) => [h, rows.map((row) => numeric(row[i]!))])));
}

/** A fixed-width dump like pandas' print(df): an index column, values right-aligned. */
export function toTextDump(grid: Grid): string {
  const widths = grid[0]!.map((_, i) => Math.max(...grid.map((row) => row[i]!.length)));
  return `${grid
    .map(
      (row, r) =>
        `${r === 0 ? "    " : String(r - 1).padEnd(4)}${row.map((v, i) => v.padStart(widths[i]! + 2)).join("")}`,
    )
    .join("\n")}\n`;
}

export function toParquet(grid: Grid): Uint8Array {
  const [header, ...rows] = grid;
  const columnData = header!.map((name, i) => {
    const values = rows.map((row) => row[i]!);
    return values.every((v) => /^-?\d+(\.\d+)?$/.test(v))
      ? { name, data: Float64Array.from(values, Number) }
      : { name, data: values };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData }));
}

function numeric(v: string): string | number {
  return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
}

export const text = (s: string) => new TextEncoder().encode(s);
