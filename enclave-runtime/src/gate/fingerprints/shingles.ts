/**
 * Row shingles that survive reordering, subsetting and rounding (runs inside the TEE). A row is the
 * set of its values' tags, column names forgotten. Each band picks the few values that rank lowest
 * under its own hash (min-hash), so an output row that kept most of a dataset row's values picks the
 * same ones with good probability, whatever its column order or extra cells; the band's tag is the
 * fold of those values. Ingest stores band tags; a scan recomputes them from output rows.
 */
import { bandRank, folded, foldSorted, insertSorted } from "./mix";
import type { ShingleLevel } from "./params";

const BAND_DOMAIN = 0x5000;

/**
 * Layout of a value record of a scan (shingle-values.ts): its tag's two words, then its rank key in
 * each band of its level.
 */
export const RECORD_LO = 0;
export const RECORD_HI = 1;
export const RECORD_RANKS = 2;
const BAND_SEEDS = Array.from({ length: 128 }, (_, i) => Math.imul(i + 1, 0x9e3779b1) ^ 0x2545f491);

/** Scratch space for one row's values (reused). */
export class RowValues {
  los = new Uint32Array(64);
  his = new Uint32Array(64);
  count = 0;

  reset(): void {
    this.count = 0;
  }

  /** Adds a tag unless the row already has it. */
  add(lo: number, hi: number): void {
    for (let i = 0; i < this.count; i++) if (this.los[i] === lo >>> 0 && this.his[i] === hi >>> 0) return;
    if (this.count === this.los.length) {
      const los = new Uint32Array(this.count * 2);
      los.set(this.los);
      this.los = los;
      const his = new Uint32Array(this.count * 2);
      his.set(this.his);
      this.his = his;
    }
    this.los[this.count] = lo;
    this.his[this.count] = hi;
    this.count++;
  }
}

const selectedRanks = new Int32Array(16);
const selected = new Int32Array(16);
let scratchRanks = new Int32Array(64 * 32);

/** The fold domain of band 0 of level `levelIndex`; band b's is this + b. */
export function bandDomain(levelIndex: number): number {
  return BAND_DOMAIN + levelIndex * 64;
}

/** The seed of band `band` at level `levelIndex` (its min-hash permutation). */
export function bandSeed(levelIndex: number, band: number): number {
  return BAND_SEEDS[(levelIndex * 32 + band) % BAND_SEEDS.length]!;
}

/** bandRank as an int32 that orders (signed) as the rank does (unsigned), for rank arrays. */
export function rankKey(lo: number, hi: number, levelIndex: number, band: number): number {
  return (bandRank(lo, hi, bandSeed(levelIndex, band)) ^ 0x80000000) | 0;
}

/**
 * Calls `emit(lo, hi)` with each band tag of the row at level `levelIndex`; nothing when the row has
 * fewer values than a band needs (a band of two common values would match too much).
 */
export function forEachBand(
  row: RowValues,
  level: ShingleLevel,
  levelIndex: number,
  emit: (lo: number, hi: number) => void,
): void {
  if (row.count < level.valuesPerBand) return;
  const B = level.bands;
  if (scratchRanks.length < row.count * B) scratchRanks = new Int32Array(row.count * B * 2);
  for (let i = 0; i < row.count; i++) {
    for (let band = 0; band < B; band++) {
      scratchRanks[i * B + band] = rankKey(row.los[i]!, row.his[i]!, levelIndex, band);
    }
  }
  forEachBandRanked(row, scratchRanks, level, levelIndex, emit);
}

/**
 * forEachBand with the values' rank keys given: rowRanks[i * level.bands + band] is rankKey of
 * value i. Each band takes the valuesPerBand values of lowest rank (ties: the earlier value) and
 * folds them in ascending tag order. This is the definition ingest stores; a scan computes the same
 * tags with the band kernel (band-kernel.ts) and writeBands.
 */
export function forEachBandRanked(
  row: RowValues,
  rowRanks: Int32Array,
  level: ShingleLevel,
  levelIndex: number,
  emit: (lo: number, hi: number) => void,
): void {
  const r = level.valuesPerBand;
  const B = level.bands;
  const n = row.count;
  if (n < r) return;
  for (let band = 0; band < B; band++) {
    // The r lowest ranks, ascending, by insertion (a later equal rank never displaces an earlier one).
    for (let i = 0; i < r; i++) {
      const rank = rowRanks[i * B + band]!;
      let j = i;
      while (j > 0 && selectedRanks[j - 1]! > rank) {
        selectedRanks[j] = selectedRanks[j - 1]!;
        selected[j] = selected[j - 1]!;
        j--;
      }
      selectedRanks[j] = rank;
      selected[j] = i;
    }
    for (let i = r; i < n; i++) {
      const rank = rowRanks[i * B + band]!;
      if (rank >= selectedRanks[r - 1]!) continue;
      let j = r - 1;
      while (j > 0 && selectedRanks[j - 1]! > rank) {
        selectedRanks[j] = selectedRanks[j - 1]!;
        selected[j] = selected[j - 1]!;
        j--;
      }
      selectedRanks[j] = rank;
      selected[j] = i;
    }
    for (let i = 0; i < r; i++) {
      const k = selected[i]!;
      insertSorted(i, row.los[k]! | 0, row.his[k]! | 0);
    }
    foldSorted(r, bandDomain(levelIndex) + band);
    emit(folded.lo, folded.hi);
  }
}

/**
 * forEachBandRanked for a row given as value records (a scan: `at[from + i]` is the offset in `data`
 * of the record of the row's i-th distinct value, in row order; ranks are computed once per distinct
 * value, see shingle-values.ts). Writes the band tags as (lo, hi) pairs to out from pair `first` on
 * (room for level.bands pairs needed); returns how many it wrote. A scan's levels of four or five
 * values a band go through the band kernel (band-kernel.ts) instead; this is the way for the others,
 * and for rows too big for the kernel's queue.
 */
export function writeBands(
  at: Int32Array,
  from: number,
  n: number,
  data: Int32Array,
  level: ShingleLevel,
  levelIndex: number,
  out: Uint32Array,
  first: number,
): number {
  const r = level.valuesPerBand;
  if (n < r) return 0;
  const B = level.bands;
  const domain = bandDomain(levelIndex);
  for (let band = 0; band < B; band++) writeBand(at, from, n, data, r, domain, band, out, first + band);
  return B;
}

/**
 * One band of writeBands (n >= r), written as tag pair `q` of out, with fold domain `domain + band`
 * (domain: bandDomain of the level): the definition, step by step, with the same selection, ties
 * and fold as forEachBandRanked, so the same tags.
 */
export function writeBand(
  at: Int32Array,
  from: number,
  n: number,
  data: Int32Array,
  r: number,
  domain: number,
  band: number,
  out: Uint32Array,
  q: number,
): void {
  const end = from + n;
  const rankAt = RECORD_RANKS + band;
  for (let i = 0; i < r; i++) {
    const rank = data[at[from + i]! + rankAt]!;
    let j = i;
    while (j > 0 && selectedRanks[j - 1]! > rank) {
      selectedRanks[j] = selectedRanks[j - 1]!;
      selected[j] = selected[j - 1]!;
      j--;
    }
    selectedRanks[j] = rank;
    selected[j] = from + i;
  }
  let worst = selectedRanks[r - 1]!;
  for (let i = from + r; i < end; i++) {
    const rank = data[at[i]! + rankAt]!;
    if (rank >= worst) continue;
    let j = r - 1;
    while (j > 0 && selectedRanks[j - 1]! > rank) {
      selectedRanks[j] = selectedRanks[j - 1]!;
      selected[j] = selected[j - 1]!;
      j--;
    }
    selectedRanks[j] = rank;
    selected[j] = i;
    worst = selectedRanks[r - 1]!;
  }
  for (let i = 0; i < r; i++) {
    const k = at[selected[i]!]!;
    insertSorted(i, data[k + RECORD_LO]!, data[k + RECORD_HI]!);
  }
  foldSorted(r, domain + band);
  out[2 * q] = folded.lo;
  out[2 * q + 1] = folded.hi;
}
