/**
 * CSV rendering of cohort rows (runs on the user's machine): RFC 4180, comma separated, LF line
 * ends, a header line, numbers with a fixed number of decimals per column.
 */
import { LONGEVITY_COHORT_COLUMNS } from "@cce4long/protocol/datasets/longevity-cohort";
import { type CohortRow, DECIMALS } from "./model";

const COLUMNS = LONGEVITY_COHORT_COLUMNS as readonly (keyof CohortRow)[];

export const CSV_HEADER = `${COLUMNS.join(",")}\n`;

export function csvLine(row: CohortRow): string {
  let line = "";
  for (let i = 0; i < COLUMNS.length; i++) {
    const column = COLUMNS[i]!;
    const value = row[column];
    const cell = typeof value === "number" ? value.toFixed(DECIMALS[column] ?? 0) : quote(value);
    line += i === 0 ? cell : `,${cell}`;
  }
  return `${line}\n`;
}

/** Quotes a cell only when it needs it (generated values never do, but stay correct if that changes). */
function quote(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
