/**
 * Merges the leakage scans of consecutive slices of one output into the scan of the whole output
 * (runs inside the TEE): counts add up, row numbers move by the rows of the slices before, and the
 * evidence is the first MAX_EVIDENCE cells in row order, as one scan of the whole would keep.
 */
import type { CellRef } from "@cce4long/protocol/gate/report";
import { type Hits, type LeakageScan, MAX_EVIDENCE } from "../fingerprints/scan";

/** `parts` in file order: part i's row 0 is the row after the last row of part i - 1. */
export function mergeScans(parts: readonly LeakageScan[]): LeakageScan {
  const merged: LeakageScan = {
    rows: 0,
    identifierCells: { count: 0, cells: [] },
    rareComboRows: { count: 0, cells: [] },
    matchedRows: { count: 0, cells: [] },
    strongMatchedRows: 0,
  };
  for (const part of parts) {
    const offset = merged.rows;
    addHits(merged.identifierCells, part.identifierCells, offset);
    addHits(merged.rareComboRows, part.rareComboRows, offset);
    addHits(merged.matchedRows, part.matchedRows, offset);
    merged.strongMatchedRows += part.strongMatchedRows;
    merged.rows += part.rows;
  }
  return merged;
}

function addHits(into: Hits, part: Hits, rowOffset: number): void {
  into.count += part.count;
  for (const cell of part.cells) {
    if (into.cells.length >= MAX_EVIDENCE) break;
    const moved: CellRef = { ...cell, row: cell.row + rowOffset };
    into.cells.push(moved);
  }
}
