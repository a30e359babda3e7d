/**
 * Scans an output, cut into rows of cells, against a fingerprint index (runs inside the TEE).
 * Finds direct-identifier values, rows showing a rare quasi-identifier combination, and rows that
 * match dataset rows through their shingles. Reports positions in the OUTPUT (row, column, the
 * output's own value), never anything about dataset rows. Cells arrive as text (scanForLeakage) or
 * as byte ranges of a CSV buffer (parse/csv-scan.ts); either way each distinct value is tagged once
 * (value-table.ts) and rows are kept as value ids until their chunk is processed.
 */
import type { CellRef } from "@cce4long/protocol/gate/report";
import { type BandKernel, kernelTakes, MAX_QUEUED_OFFSETS } from "./band-kernel";
import { foldCombo, folded, subsetMasks } from "./combos";
import type { FingerprintIndex } from "./fingerprint-index";
import { RowValues, writeBands } from "./shingles";
import type { TagSet } from "./tag-set";
import {
  FLAG_IDENTIFIER,
  FLAG_QI,
  FLAG_SHINGLE,
  INFO_EXACT_HI,
  INFO_EXACT_LO,
  INFO_FLAGS,
  INFO_SHINGLES,
  ValueTable,
} from "./value-table";

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
  /** Rows scanned. */
  rows: number;
  identifierCells: Hits;
  rareComboRows: Hits;
  /** Rows with at least one band tag in the index. */
  matchedRows: Hits;
  /** Of those, rows with two or more (strong evidence: chance gives one at most; see check-outputs). */
  strongMatchedRows: number;
}

/** Evidence cells kept per kind of hit (the first ones, in row order). */
export const MAX_EVIDENCE = 20;
const MAX_VALUE_CHARS = 60;
/** Cells (and new values' blocks) per chunk: big enough to amortize the AES call and lookups. */
const CHUNK_CELLS = 1 << 16;
const CHUNK_BLOCKS = 1 << 15;
/**
 * Band tags looked up together: about one per 8 tags of a 1M-row index's band set, dense enough
 * that the sorted sweep reads each cache line of the set at most once (12 bytes a tag of memory).
 */
const BAND_BATCH = 1 << 20;

function record(hits: Hits, ref: CellRef): void {
  hits.count++;
  if (hits.cells.length < MAX_EVIDENCE) hits.cells.push(ref);
}

/** record() for a row without a cell, building the evidence only while it is kept. */
function recordRow(hits: Hits, row: number): void {
  hits.count++;
  if (hits.cells.length < MAX_EVIDENCE) hits.cells.push({ row });
}

function shown(value: string): string {
  const v = value.trim();
  return v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS)}...` : v;
}

/** Scans rows of cell text (JSON, Parquet, text outputs, a CSV header). */
export function scanForLeakage(index: FingerprintIndex, table: ScanTable): LeakageScan {
  const scanner = new LeakageScanner(index, table.header);
  for (let r = 0; r < table.rows.length; r++) {
    for (const raw of table.rows[r]!) scanner.stringCell(raw);
    scanner.endCells();
    const phrases = table.phrases?.[r];
    if (phrases) for (const raw of phrases) scanner.stringCell(raw);
    scanner.endRow();
  }
  return scanner.finish();
}

/**
 * Accumulates rows (cells, then optional identifier-only phrases) and scans them a chunk at a time.
 * Protocol per row: cells through byteCell/stringCell, endCells(), phrases, endRow() (or dropRow()).
 */
export class LeakageScanner {
  readonly values: ValueTable;
  header: readonly string[] | undefined;
  readonly #index: FingerprintIndex;
  readonly #result: LeakageScan = {
    rows: 0,
    identifierCells: { count: 0, cells: [] },
    rareComboRows: { count: 0, cells: [] },
    matchedRows: { count: 0, cells: [] },
    strongMatchedRows: 0,
  };
  /** Value id of every cell of the chunk's rows. */
  #cells = new Int32Array(4096);
  #cellCount = 0;
  /** Per row of the chunk: first cell, first phrase; then the end of the last row. */
  #bounds: number[] = [];
  #rowStart = 0;
  #phraseStart = -1;
  /** Output row number of the chunk's first row. */
  #firstRow = 0;
  #finished = false;

  // Per-row scratch.
  readonly #qi = new RowValues();
  readonly #qiCells: number[] = [];
  /**
   * The scan's band kernel: rows' distinct shingle values per level (record offsets in
   * values.shingles) are written to its queue, where it computes the bands of the levels it takes.
   */
  readonly #kernel: BandKernel;
  /** Where a row with more cells than the kernel's queue holds puts them (computed without it). */
  #bigRow = new Int32Array(0);
  readonly #levelCounts: Int32Array;
  /** Band tags a row can give at most (every level's bands). */
  readonly #bandsPerRow: number;
  /** The chunk's band tags and the chunk row each belongs to, looked up together in #lookUpBands. */
  readonly #bands: BandQueries;
  /** First row whose band tags are not looked up yet. */
  #bandsFromRow = 0;
  readonly #comboMemo: ComboMemo;

  constructor(index: FingerprintIndex, header?: readonly string[]) {
    this.#index = index;
    this.header = header;
    this.values = new ValueTable(index);
    this.#kernel = this.values.shingles.kernel;
    this.#bands = spareBandQueries ?? new BandQueries();
    spareBandQueries = null;
    this.#bandsPerRow = index.params.levels.reduce((sum, l) => sum + l.bands, 0);
    this.#levelCounts = new Int32Array(index.params.levels.length);
    this.#comboMemo = new ComboMemo(index.params.maxQiCandidates);
  }

  /** A cell read from the CSV buffer set with values.setSource. */
  byteCell(start: number, end: number): void {
    this.#push(this.values.internBytes(start, end));
  }

  stringCell(raw: string): void {
    this.#push(this.values.internString(raw));
  }

  /** Ends the row's cells; what follows until endRow() are phrases. */
  endCells(): void {
    this.#phraseStart = this.#cellCount;
  }

  endRow(): void {
    if (this.#finished) throw new Error("the scan has finished");
    if (this.#phraseStart < 0) this.#phraseStart = this.#cellCount;
    this.#bounds.push(this.#rowStart, this.#phraseStart);
    this.#rowStart = this.#cellCount;
    this.#phraseStart = -1;
    if (this.#cellCount >= CHUNK_CELLS || this.values.pendingBlocks >= CHUNK_BLOCKS) this.#drain();
  }

  /** Forgets the cells given since the last endRow() (an empty line). */
  dropRow(): void {
    this.#cellCount = this.#rowStart;
    this.#phraseStart = -1;
  }

  /** Ends the scan: the scanner is unusable after (its kernel and buffers go to the next scan). */
  finish(): LeakageScan {
    if (this.#finished) throw new Error("the scan has finished");
    this.#drain();
    this.#lookUpBands();
    this.#result.rows = this.#firstRow;
    this.#finished = true;
    spareBandQueries = this.#bands; // its buffers grow to a batch; the next scan reuses them
    this.values.shingles.release();
    return this.#result;
  }

  #push(id: number): void {
    if (this.#cellCount === this.#cells.length) {
      const grown = new Int32Array(this.#cells.length * 2);
      grown.set(this.#cells);
      this.#cells = grown;
    }
    this.#cells[this.#cellCount++] = id;
  }

  #drain(): void {
    this.values.flush();
    const rows = this.#bounds.length / 2;
    for (let r = 0; r < rows; r++) {
      const start = this.#bounds[2 * r]!;
      const phrases = this.#bounds[2 * r + 1]!;
      const end = r + 1 < rows ? this.#bounds[2 * r + 2]! : this.#cellCount;
      this.#scanRow(this.#firstRow + r, start, phrases, end);
    }
    this.#kernel.drainInto(this.#bands);
    this.#firstRow += rows;
    this.#bounds.length = 0;
    this.#cellCount = 0;
    this.#rowStart = 0;
    // Not for the last chunk (finish() looks its bands up): a call taken once a scan, with no type
    // feedback when it comes, threw away this loop's optimized code at the end of every scan.
    if (this.#bands.count >= BAND_BATCH) this.#lookUpBands();
  }

  /** A row matches a dataset row when any of its band tags is in the index. */
  #lookUpBands(): void {
    const from = this.#bandsFromRow;
    const rows = this.#firstRow - from;
    const hits = this.#bands.lookUp(this.#index.sets.bands, rows);
    const result = this.#result;
    for (let r = 0; r < rows; r++) {
      if (hits[r] === 0) continue;
      recordRow(result.matchedRows, from + r);
      if (hits[r]! >= 2) result.strongMatchedRows++;
    }
    this.#bands.reset();
    this.#bandsFromRow = this.#firstRow;
  }

  #columnName(c: number): string {
    return this.header?.[c] ?? `#${c + 1}`;
  }

  #scanRow(r: number, start: number, phraseStart: number, end: number): void {
    const { params, sets } = this.#index;
    const values = this.values;
    const info = values.info;
    const W = values.width;
    const cells = this.#cells;
    const n = phraseStart - start;
    const result = this.#result;
    // The flags of the row's values (cells and phrases), and its distinct shingle values: in the
    // kernel's queue when they fit (a full queue is drained first), else apart.
    const L = params.levels.length;
    const kernel = this.#kernel;
    const queued = n * L <= MAX_QUEUED_OFFSETS;
    if (queued && !kernel.hasRoom(n * L, L, this.#bandsPerRow)) kernel.drainInto(this.#bands);
    if (!queued && this.#bigRow.length < n * L) this.#bigRow = new Int32Array(n * L);
    const rowShingles = queued ? kernel.offsets : this.#bigRow;
    const base = queued ? kernel.offsetCount : 0;
    let any = this.#rowShingleValues(start, phraseStart, rowShingles, base);
    for (let j = phraseStart; j < end; j++) any |= info[cells[j]! * W + INFO_FLAGS]!;
    // Identifier values, in cells and phrases.
    if (any & FLAG_IDENTIFIER) {
      for (let j = start; j < end; j++) {
        const id = cells[j]!;
        if (!(info[id * W + INFO_FLAGS]! & FLAG_IDENTIFIER)) continue;
        const ref: CellRef =
          j < phraseStart
            ? { row: r, column: this.#columnName(j - start), value: shown(values.text(id)) }
            : { row: r, value: shown(values.text(id)) };
        record(result.identifierCells, ref);
      }
    }
    // Rare quasi-identifier combinations among the row's cells.
    if (any & FLAG_QI) {
      const qi = this.#qi;
      const qiCells = this.#qiCells;
      qi.reset();
      qiCells.length = 0;
      for (let j = 0; j < n && qi.count < params.maxQiCandidates; j++) {
        const id = cells[start + j]!;
        if (!(info[id * W + INFO_FLAGS]! & FLAG_QI)) continue;
        const before = qi.count;
        qi.add(info[id * W + INFO_EXACT_LO]! >>> 0, info[id * W + INFO_EXACT_HI]! >>> 0);
        if (qi.count > before) qiCells.push(j);
      }
      const memo = this.#comboMemo;
      let mask = memo.get(cells, start, qiCells);
      if (mask < 0) {
        mask = 0;
        for (const m of subsetMasks(qi.count, params.maxComboSize)) {
          foldCombo(qi, m);
          if (sets.rareCombos.has(folded.lo, folded.hi)) {
            mask = m;
            break;
          }
        }
        memo.set(cells, start, qiCells, mask);
      }
      if (mask !== 0) {
        const shownCells = qiCells
          .filter((_, i) => mask & (1 << i))
          .map((j) => `${this.#columnName(j)}=${shown(values.text(cells[start + j]!))}`);
        record(result.rareComboRows, { row: r, value: shown(shownCells.join(", ")) });
      }
    }
    // A row none of whose values is a shingle value of the index has no band to look up.
    if (any & (((1 << L) - 1) * FLAG_SHINGLE)) this.#rowBands(r, n, rowShingles, base, queued);
  }

  /**
   * One pass over the row's cells: returns the OR of their flags, and puts the row's distinct
   * shingle values of each level (record offsets) in rowShingles, level l's n from base + l * n on,
   * and their counts in #levelCounts. Records of all levels differ, so one stamp per row serves every
   * level. Without a branch: each record is written at its level's next place, which the count
   * moves past only for a record not yet stamped this row (a cell that is no shingle value points to
   * a record always stamped). The default two levels have their own loop, with counts in locals.
   */
  #rowShingleValues(start: number, phraseStart: number, rowShingles: Int32Array, base: number): number {
    const L = this.#index.params.levels.length;
    const cells = this.#cells;
    const info = this.values.info;
    const W = this.values.width;
    const shingles = this.values.shingles;
    const stamp = shingles.newRow();
    const stamps = shingles.stamps;
    const shift = shingles.recordShift;
    const n = phraseStart - start;
    const counts = this.#levelCounts;
    let any = 0;
    if (L === 2) {
      let count0 = base;
      let count1 = base + n;
      for (let j = start; j < phraseStart; j++) {
        const at = cells[j]! * W;
        any |= info[at + INFO_FLAGS]!;
        const r0 = info[at + INFO_SHINGLES]!;
        const fresh0 = stamps[r0 >> shift]! ^ stamp; // stamps are in [0, 2^31): 0 only when equal
        stamps[r0 >> shift] = stamp;
        rowShingles[count0] = r0;
        count0 += (fresh0 | -fresh0) >>> 31;
        const r1 = info[at + INFO_SHINGLES + 1]!;
        const fresh1 = stamps[r1 >> shift]! ^ stamp;
        stamps[r1 >> shift] = stamp;
        rowShingles[count1] = r1;
        count1 += (fresh1 | -fresh1) >>> 31;
      }
      counts[0] = count0 - base;
      counts[1] = count1 - base - n;
      return any;
    }
    for (let j = start; j < phraseStart; j++) any |= info[cells[j]! * W + INFO_FLAGS]!;
    for (let l = 0; l < L; l++) {
      const word = INFO_SHINGLES + l;
      const into = base + l * n;
      let count = 0;
      for (let j = start; j < phraseStart; j++) {
        const record = info[cells[j]! * W + word]!;
        const fresh = stamps[record >> shift]! ^ stamp;
        stamps[record >> shift] = stamp;
        rowShingles[into + count] = record;
        count += (fresh | -fresh) >>> 31;
      }
      counts[l] = count;
    }
    return any;
  }

  /**
   * Band tags of the row's shingle values (#rowShingleValues, n cells, written to rowShingles from
   * base on), for #lookUpBands: the levels the kernel takes through it when the values are in its
   * queue (`queued`), the others here.
   */
  #rowBands(r: number, n: number, rowShingles: Int32Array, base: number, queued: boolean): void {
    const levels = this.#index.params.levels;
    const L = levels.length;
    const data = this.values.shingles.data;
    const counts = this.#levelCounts;
    const bands = this.#bands;
    const kernel = this.#kernel;
    const batchRow = r - this.#bandsFromRow;
    let toKernel = false;
    for (let l = 0; l < L; l++) {
      const level = levels[l]!;
      const count = counts[l]!;
      if (count < level.valuesPerBand) continue;
      if (queued && kernelTakes(level.valuesPerBand)) {
        kernel.queue(base + l * n, count, batchRow, l, level.valuesPerBand, level.bands);
        toKernel = true;
        continue;
      }
      bands.reserve(level.bands);
      const first = bands.count;
      const written = writeBands(rowShingles, base + l * n, count, data, level, l, bands.tags, first);
      bands.rows.fill(batchRow, first, first + written);
      bands.count = first + written;
    }
    if (toKernel) kernel.offsetCount = base + n * L;
  }
}

let spareBandQueries: BandQueries | null = null;

/** Band tags of a batch of rows, to look up in one sweep of the index's band set. */
class BandQueries {
  /** (lo, hi) pairs. */
  tags = new Uint32Array(2 * 4096);
  /** The row of each tag, counted from the batch's first row. */
  rows = new Uint32Array(4096);
  count = 0;
  #matched = new Uint8Array(1024);

  reset(): void {
    this.count = 0;
  }

  /** Makes room for `more` queries after the first `count`. */
  reserve(more: number): void {
    if (this.count + more <= this.rows.length) return;
    const n = Math.max(this.rows.length * 2, this.count + more);
    const tags = new Uint32Array(2 * n);
    tags.set(this.tags.subarray(0, 2 * this.count));
    this.tags = tags;
    const rows = new Uint32Array(n);
    rows.set(this.rows.subarray(0, this.count));
    this.rows = rows;
  }

  /**
   * For each of the batch's `rows` rows: how many of its band tags are in `set`, up to 2 (one is a
   * match, two a strong one).
   */
  lookUp(set: TagSet, rows: number): Uint8Array {
    if (this.#matched.length < rows) this.#matched = new Uint8Array(rows * 2);
    set.countPerGroup(this.tags, this.count, this.rows, rows, 2, this.#matched);
    return this.#matched;
  }
}

/**
 * Remembers which rare combination (as a mask over the candidates, 0 for none) a row's sequence of
 * quasi-identifier candidate values gave, so rows repeating a sequence skip the subset search.
 * Keyed by value ids, compared in full: a memo hit is never a guess.
 */
class ComboMemo {
  readonly #stride: number;
  #entries: Int32Array;
  #mask: number;
  #size = 0;

  constructor(maxCandidates: number) {
    this.#stride = maxCandidates + 2;
    this.#entries = new Int32Array(this.#stride * 1024).fill(-1);
    this.#mask = 1023;
  }

  #slot(cells: Int32Array, start: number, qiCells: readonly number[]): number {
    let h = 0x9e3779b9 ^ qiCells.length;
    for (const j of qiCells) h = Math.imul(h ^ cells[start + j]!, 0x85ebca6b) ^ (h >>> 15);
    let slot = (h ^ (h >>> 13)) & this.#mask;
    const e = this.#entries;
    const s = this.#stride;
    for (;;) {
      const count = e[slot * s]!;
      if (count < 0) return slot;
      if (count === qiCells.length) {
        let k = 0;
        while (k < count && e[slot * s + 2 + k] === cells[start + qiCells[k]!]) k++;
        if (k === count) return slot;
      }
      slot = (slot + 1) & this.#mask;
    }
  }

  /** The memoized mask, or -1. */
  get(cells: Int32Array, start: number, qiCells: readonly number[]): number {
    const slot = this.#slot(cells, start, qiCells);
    return this.#entries[slot * this.#stride]! < 0 ? -1 : this.#entries[slot * this.#stride + 1]!;
  }

  set(cells: Int32Array, start: number, qiCells: readonly number[], mask: number): void {
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    const slot = this.#slot(cells, start, qiCells);
    const e = this.#entries;
    const s = this.#stride;
    if (e[slot * s]! < 0) this.#size++;
    e[slot * s] = qiCells.length;
    e[slot * s + 1] = mask;
    for (let k = 0; k < qiCells.length; k++) e[slot * s + 2 + k] = cells[start + qiCells[k]!]!;
  }

  #grow(): void {
    const old = this.#entries;
    const s = this.#stride;
    const slots = (this.#mask + 1) * 2;
    this.#entries = new Int32Array(s * slots).fill(-1);
    this.#mask = slots - 1;
    this.#size = 0;
    const ids = new Int32Array(s);
    const positions = Array.from({ length: s }, (_, i) => i);
    for (let slot = 0; slot < old.length / s; slot++) {
      const count = old[slot * s]!;
      if (count < 0) continue;
      for (let k = 0; k < count; k++) ids[k] = old[slot * s + 2 + k]!;
      this.set(ids, 0, positions.slice(0, count), old[slot * s + 1]!);
    }
  }
}
