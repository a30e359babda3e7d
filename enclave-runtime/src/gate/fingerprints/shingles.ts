/**
 * Row shingles that survive reordering, subsetting and rounding (runs inside the TEE). A row is the
 * set of its values' tags, column names forgotten. Each band picks the few values that rank lowest
 * under its own hash (min-hash), so an output row that kept most of a dataset row's values picks the
 * same ones with good probability, whatever its column order or extra cells; the band's tag is the
 * fold of those values. Ingest stores band tags; a scan recomputes them from output rows.
 */
import { bandRank, fmix32, folded, foldSorted, insertSorted } from "./mix";
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
 * tags with writeBands.
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
    foldSorted(r, BAND_DOMAIN + levelIndex * 64 + band);
    emit(folded.lo, folded.hi);
  }
}

/**
 * forEachBandRanked for a row given as value records (a scan: `at[from + i]` is the offset in `data`
 * of the record of the row's i-th distinct value, in row order; ranks are computed once per distinct
 * value, see shingle-values.ts). Writes the band tags as (lo, hi) pairs to out from pair `first` on
 * (room for level.bands pairs needed); returns how many it wrote. Same selection, ties and fold as forEachBandRanked, so the same tags;
 * written without callbacks or per-row copies because a scan runs it for every row.
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
  if (r === 4 && n <= POSITIONS) return writeBandsOfFour(at, from, n, data, levelIndex, B, out, first);
  const end = from + n;
  for (let band = 0; band < B; band++) {
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
    foldSorted(r, BAND_DOMAIN + levelIndex * 64 + band);
    out[2 * (first + band)] = folded.lo;
    out[2 * (first + band) + 1] = folded.hi;
  }
  return B;
}

/** Positions a selection key can carry (rank * POSITIONS + position stays exact in a double). */
const POSITIONS = 2 ** 20;

function positionOf(key: number): number {
  return key - Math.floor(key / POSITIONS) * POSITIONS;
}
const SIGN = 0x80000000 | 0;

/**
 * writeBands for four values a band (the default finest level, where nearly all of a scan's bands
 * are), with everything in local variables: the selection (the lowest four ranks, a later equal
 * rank never displacing an earlier one, as the insertion of forEachBandRanked, kept as four
 * rank-and-position keys), the four sorted by tag (a five-comparison sorting network on unsigned
 * 64-bit order), and foldSorted's fold written out for four. Same tags; module-level scratch arrays
 * and eight integer locals cost loads, bounds checks and register spills on the hottest loop.
 */
function writeBandsOfFour(
  at: Int32Array,
  from: number,
  n: number,
  data: Int32Array,
  levelIndex: number,
  B: number,
  out: Uint32Array,
  first: number,
): number {
  const end = from + n;
  for (let band = 0; band < B; band++) {
    const rankAt = RECORD_RANKS + band;
    // Keys rank * POSITIONS + position: distinct, and ordered as (rank, position), which is the
    // insertion's order (a later equal rank never displaces an earlier one). Doubles, exact below
    // 2^53, so the four live in floating-point registers instead of eight integers spilling.
    let k0 = Number.POSITIVE_INFINITY;
    let k1 = Number.POSITIVE_INFINITY;
    let k2 = Number.POSITIVE_INFINITY;
    let k3 = Number.POSITIVE_INFINITY;
    for (let i = from; i < end; i++) {
      const key = data[at[i]! + rankAt]! * POSITIONS + (i - from);
      if (key >= k3) continue;
      if (key >= k2) {
        k3 = key;
        continue;
      }
      k3 = k2;
      if (key >= k1) {
        k2 = key;
        continue;
      }
      k2 = k1;
      if (key >= k0) {
        k1 = key;
        continue;
      }
      k1 = k0;
      k0 = key;
    }
    const i0 = from + positionOf(k0);
    const i1 = from + positionOf(k1);
    const i2 = from + positionOf(k2);
    const i3 = from + positionOf(k3);
    // The four tags as sign-flipped words, so signed comparisons order them as unsigned.
    let k = at[i0]!;
    let h0 = data[k + RECORD_HI]! ^ SIGN;
    let l0 = data[k + RECORD_LO]! ^ SIGN;
    k = at[i1]!;
    let h1 = data[k + RECORD_HI]! ^ SIGN;
    let l1 = data[k + RECORD_LO]! ^ SIGN;
    k = at[i2]!;
    let h2 = data[k + RECORD_HI]! ^ SIGN;
    let l2 = data[k + RECORD_LO]! ^ SIGN;
    k = at[i3]!;
    let h3 = data[k + RECORD_HI]! ^ SIGN;
    let l3 = data[k + RECORD_LO]! ^ SIGN;
    let th = 0;
    let tl = 0;
    // Sorting network (0,1) (2,3) (0,2) (1,3) (1,2): ascending (h, l).
    if (h0 > h1 || (h0 === h1 && l0 > l1)) {
      th = h0;
      tl = l0;
      h0 = h1;
      l0 = l1;
      h1 = th;
      l1 = tl;
    }
    if (h2 > h3 || (h2 === h3 && l2 > l3)) {
      th = h2;
      tl = l2;
      h2 = h3;
      l2 = l3;
      h3 = th;
      l3 = tl;
    }
    if (h0 > h2 || (h0 === h2 && l0 > l2)) {
      th = h0;
      tl = l0;
      h0 = h2;
      l0 = l2;
      h2 = th;
      l2 = tl;
    }
    if (h1 > h3 || (h1 === h3 && l1 > l3)) {
      th = h1;
      tl = l1;
      h1 = h3;
      l1 = l3;
      h3 = th;
      l3 = tl;
    }
    if (h1 > h2 || (h1 === h2 && l1 > l2)) {
      th = h1;
      tl = l1;
      h1 = h2;
      l1 = l2;
      h2 = th;
      l2 = tl;
    }
    // foldSorted(4, domain) of (l0 ^ SIGN, h0 ^ SIGN) .. (l3 ^ SIGN, h3 ^ SIGN).
    const domain = BAND_DOMAIN + levelIndex * 64 + band;
    let a = 0x9e3779b9 ^ Math.imul(domain, 0x85ebca6b);
    let b = 0x7f4a7c15 ^ Math.imul(domain + 4, 0xc2b2ae35);
    let lo = l0 ^ SIGN;
    let hi = h0 ^ SIGN;
    a = Math.imul(((a ^ lo) << 15) | ((a ^ lo) >>> 17), 0xcc9e2d51) ^ hi;
    b = Math.imul(((b ^ hi) << 13) | ((b ^ hi) >>> 19), 0x1b873593) ^ lo;
    a = (a + b) | 0;
    b = (b + a) | 0;
    lo = l1 ^ SIGN;
    hi = h1 ^ SIGN;
    a = Math.imul(((a ^ lo) << 15) | ((a ^ lo) >>> 17), 0xcc9e2d51) ^ hi;
    b = Math.imul(((b ^ hi) << 13) | ((b ^ hi) >>> 19), 0x1b873593) ^ lo;
    a = (a + b) | 0;
    b = (b + a) | 0;
    lo = l2 ^ SIGN;
    hi = h2 ^ SIGN;
    a = Math.imul(((a ^ lo) << 15) | ((a ^ lo) >>> 17), 0xcc9e2d51) ^ hi;
    b = Math.imul(((b ^ hi) << 13) | ((b ^ hi) >>> 19), 0x1b873593) ^ lo;
    a = (a + b) | 0;
    b = (b + a) | 0;
    lo = l3 ^ SIGN;
    hi = h3 ^ SIGN;
    a = Math.imul(((a ^ lo) << 15) | ((a ^ lo) >>> 17), 0xcc9e2d51) ^ hi;
    b = Math.imul(((b ^ hi) << 13) | ((b ^ hi) >>> 19), 0x1b873593) ^ lo;
    a = (a + b) | 0;
    b = (b + a) | 0;
    out[2 * (first + band)] = fmix32(a ^ 4);
    out[2 * (first + band) + 1] = fmix32(b + Math.imul(4, 0x27d4eb2f));
  }
  return B;
}
