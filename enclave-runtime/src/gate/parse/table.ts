/**
 * The parsed form of a tabular output (runs inside the TEE): a header and rows of cell text.
 */
export interface Table {
  header: string[];
  rows: string[][];
}

/** The index of a column by exact name, else by case-insensitive trimmed name, else -1. */
export function columnIndex(table: Table, name: string): number {
  const exact = table.header.indexOf(name);
  if (exact >= 0) return exact;
  const wanted = name.trim().toLowerCase();
  return table.header.findIndex((h) => h.trim().toLowerCase() === wanted);
}
