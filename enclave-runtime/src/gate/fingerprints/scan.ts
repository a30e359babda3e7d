/**
 * Scans an output, already cut into rows of cells, against a fingerprint index (runs inside the TEE).
 * Finds direct-identifier values, rows showing a rare quasi-identifier combination, and rows that
 * match dataset rows through their shingles. Reports positions in the OUTPUT (row, column, the
 * output's own value), never anything about dataset rows.
 */
import type { CellRef } from "@cce4long/protocol/gate/report";
import { CellTagger, NO_TAG } from "./cell-tagger";
import { foldCombo, folded, subsetMasks } from "./combos";
import type { FingerprintIndex } from "./fingerprint-index";
import { forEachBand, RowValues } from "./shingles";

export interface ScanTable {
  /** Column names, when the output has them (used in evidence only). */
  header?: readonly string[];
  rows: readonly (readonly string[])[];
  /**
   * Extra strings per row looked up as identifiers only, e.g. the word pairs and triples of a line
   * of text, so "Jane Smith" or "LS6 2AB" split over two tokens are still found.
   */
  phrases?: readonly (readonly string[])[];
}

export interface Hits {
  count: number;
  /** The first few, for evidence. */
  cells: CellRef[];
}

export interface LeakageScan {
  identifierCells: Hits;
  rareComboRows: Hits;
  matchedRows: Hits;
}

const MAX_EVIDENCE = 20;
const MAX_VALUE_CHARS = 60;
const BATCH_CELLS = 1 << 16;

function record(hits: Hits, ref: CellRef): void {
  hits.count++;
  if (hits.cells.length < MAX_EVIDENCE) hits.cells.push(ref);
}

function shown(value: string): string {
  const v = value.trim();
  return v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS)}...` : v;
}

export function scanForLeakage(index: FingerprintIndex, table: ScanTable): LeakageScan {
  const { params, sets } = index;
  const L = params.levels.length;
  const tagger = new CellTagger(
    index.key,
    params.levels.map((l) => l.sig),
  );
  const qi = new RowValues();
  const qiCells: number[] = [];
  const values = new RowValues();
  const result: LeakageScan = {
    identifierCells: { count: 0, cells: [] },
    rareComboRows: { count: 0, cells: [] },
    matchedRows: { count: 0, cells: [] },
  };
  let bandHit = false;
  const checkBand = (lo: number, hi: number) => {
    if (!bandHit && sets.bands.has(lo, hi)) bandHit = true;
  };
  const columnName = (c: number) => table.header?.[c] ?? `#${c + 1}`;

  const scanRow = (r: number, base: number, phraseBase: number, phraseEnd: number) => {
    const cells = table.rows[r]!;
    const tags = tagger.tags;
    const n = cells.length;
    // Identifier values, in cells and phrases.
    for (let j = 0; j < phraseEnd - base; j++) {
      const b = tagger.exact[base + j]!;
      if (b === NO_TAG || !sets.identifiers.has(tags[4 * b]!, tags[4 * b + 1]!)) continue;
      if (j < n) record(result.identifierCells, { row: r, column: columnName(j), value: shown(cells[j]!) });
      else
        record(result.identifierCells, { row: r, value: shown(table.phrases![r]![base + j - phraseBase]!) });
    }
    // Rare quasi-identifier combinations among the row's cells.
    qi.reset();
    qiCells.length = 0;
    for (let j = 0; j < n && qi.count < params.maxQiCandidates; j++) {
      const b = tagger.exact[base + j]!;
      if (b === NO_TAG || !sets.qiValues.has(tags[4 * b]!, tags[4 * b + 1]!)) continue;
      const before = qi.count;
      qi.add(tags[4 * b]!, tags[4 * b + 1]!);
      if (qi.count > before) qiCells.push(j);
    }
    if (qi.count > 0) {
      for (const mask of subsetMasks(qi.count, params.maxComboSize)) {
        foldCombo(qi, mask);
        if (!sets.rareCombos.has(folded.lo, folded.hi)) continue;
        const shownCells = qiCells
          .filter((_, i) => mask & (1 << i))
          .map((j) => `${columnName(j)}=${shown(cells[j]!)}`);
        record(result.rareComboRows, { row: r, value: shown(shownCells.join(", ")) });
        break;
      }
    }
    // Row shingles at each level.
    bandHit = false;
    for (let l = 0; l < L && !bandHit; l++) {
      values.reset();
      for (let j = 0; j < n; j++) {
        const b = tagger.levels[(base + j) * L + l]!;
        if (b !== NO_TAG && sets.shingleValues.has(tags[4 * b]!, tags[4 * b + 1]!)) {
          values.add(tags[4 * b]!, tags[4 * b + 1]!);
        }
      }
      forEachBand(values, params.levels[l]!, l, checkBand);
    }
    if (bandHit) record(result.matchedRows, { row: r });
  };

  const starts: number[] = [];
  let first = 0;
  const drain = (end: number) => {
    tagger.flush();
    for (let r = first; r < end; r++) {
      const s = starts[(r - first) * 2]!;
      const p = starts[(r - first) * 2 + 1]!;
      const e = r + 1 < end ? starts[(r + 1 - first) * 2]! : tagger.cells;
      scanRow(r, s, p, e);
    }
    tagger.reset();
    starts.length = 0;
    first = end;
  };
  for (let r = 0; r < table.rows.length; r++) {
    starts.push(tagger.cells);
    for (const raw of table.rows[r]!) tagger.add(raw);
    starts.push(tagger.cells);
    const phrases = table.phrases?.[r];
    if (phrases) for (const raw of phrases) tagger.add(raw);
    if (tagger.cells >= BATCH_CELLS) drain(r + 1);
  }
  drain(table.rows.length);
  return result;
}
