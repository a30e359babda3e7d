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
 * (room for level.bands pairs needed); returns how many it wrote. Same selection, ties and fold as
 * forEachBandRanked, so the same tags; written without callbacks or per-row copies because a scan
 * runs it for every row.
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
  if (r === 4 && n <= MAX_FAST_VALUES) return writeBandsOfFour(at, from, n, data, levelIndex, B, out, first);
  for (let band = 0; band < B; band++) writeBand(at, from, n, data, r, levelIndex, band, out, first + band);
  return B;
}

/** One band of writeBands (n >= r), written as tag pair `q` of out: the definition, step by step. */
function writeBand(
  at: Int32Array,
  from: number,
  n: number,
  data: Int32Array,
  r: number,
  levelIndex: number,
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
  foldSorted(r, BAND_DOMAIN + levelIndex * 64 + band);
  out[2 * q] = folded.lo;
  out[2 * q + 1] = folded.hi;
}

/**
 * Rows with more distinct values than this take writeBand: the positions would leave writeBandsOfFour's
 * keys too few rank bits to settle most bands.
 */
const MAX_FAST_VALUES = 1 << 16;
/** Above every selection key of writeBandsOfFour (keys lie in [-2^28, 2^28)). */
const KEY_MAX = 1 << 29;

/**
 * writeBands for four values a band (the default finest level, where nearly all of a scan's bands
 * are), without a branch that depends on the data: the branchy version mispredicted on nearly every
 * insertion and sort step, which made it half of a whole scan's time.
 *
 * Selection: each value's key is its rank with the low bits cut off and its position in the row in
 * their place (so keys are distinct, and lie in [-2^28, 2^28): no difference below overflows); the
 * five smallest keys are kept by compare-exchanges done with masks. When the fourth and fifth differ
 * in their rank part, every unselected value ranks strictly above every selected one, so the four
 * are exactly the four lowest ranks the definition picks. Otherwise (two ranks equal in their top
 * 29 - bits bits: about one band in 10^7 at a dozen values a row) the band is computed by writeBand.
 * Order: the four tags sorted by their high word without its lowest bit, by a five-step sorting
 * network with masks; when two of those are equal the band goes to writeBand too. The fold is
 * foldSorted's, written out for four. Same tags as writeBand in every case.
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
  const bits = 32 - Math.clz32(n - 1); // n >= 4: positions 0 .. n-1 fit in `bits` bits
  const shift = 3 + bits; // ranks are 32-bit; keys keep 29 - bits of them
  const positions = (1 << bits) - 1;
  for (let band = 0; band < B; band++) {
    const rankAt = RECORD_RANKS + band;
    let k0 = KEY_MAX;
    let k1 = KEY_MAX;
    let k2 = KEY_MAX;
    let k3 = KEY_MAX;
    let k4 = KEY_MAX;
    for (let i = from; i < end; i++) {
      let v = ((data[at[i]! + rankAt]! >> shift) << bits) | (i - from);
      // d & (d >> 31) is min(v - k, 0): k takes the smaller key, v goes on with the larger.
      let d = v - k0;
      let m = d & (d >> 31);
      k0 += m;
      v -= m;
      d = v - k1;
      m = d & (d >> 31);
      k1 += m;
      v -= m;
      d = v - k2;
      m = d & (d >> 31);
      k2 += m;
      v -= m;
      d = v - k3;
      m = d & (d >> 31);
      k3 += m;
      v -= m;
      d = v - k4;
      k4 += d & (d >> 31);
    }
    if (k3 >> bits === k4 >> bits) {
      writeBand(at, from, n, data, 4, levelIndex, band, out, first + band);
      continue;
    }
    let k = at[from + (k0 & positions)]!;
    let h0 = data[k + RECORD_HI]!;
    let l0 = data[k + RECORD_LO]!;
    k = at[from + (k1 & positions)]!;
    let h1 = data[k + RECORD_HI]!;
    let l1 = data[k + RECORD_LO]!;
    k = at[from + (k2 & positions)]!;
    let h2 = data[k + RECORD_HI]!;
    let l2 = data[k + RECORD_LO]!;
    k = at[from + (k3 & positions)]!;
    let h3 = data[k + RECORD_HI]!;
    let l3 = data[k + RECORD_LO]!;
    // Sorting network (0,1) (2,3) (0,2) (1,3) (1,2) on h >>> 1 (in [0, 2^31): differences fit):
    // m is all ones when the pair is out of order, and x swaps both words of the two tags.
    let m = ((h1 >>> 1) - (h0 >>> 1)) >> 31;
    let x = (h0 ^ h1) & m;
    h0 ^= x;
    h1 ^= x;
    x = (l0 ^ l1) & m;
    l0 ^= x;
    l1 ^= x;
    m = ((h3 >>> 1) - (h2 >>> 1)) >> 31;
    x = (h2 ^ h3) & m;
    h2 ^= x;
    h3 ^= x;
    x = (l2 ^ l3) & m;
    l2 ^= x;
    l3 ^= x;
    m = ((h2 >>> 1) - (h0 >>> 1)) >> 31;
    x = (h0 ^ h2) & m;
    h0 ^= x;
    h2 ^= x;
    x = (l0 ^ l2) & m;
    l0 ^= x;
    l2 ^= x;
    m = ((h3 >>> 1) - (h1 >>> 1)) >> 31;
    x = (h1 ^ h3) & m;
    h1 ^= x;
    h3 ^= x;
    x = (l1 ^ l3) & m;
    l1 ^= x;
    l3 ^= x;
    m = ((h2 >>> 1) - (h1 >>> 1)) >> 31;
    x = (h1 ^ h2) & m;
    h1 ^= x;
    h2 ^= x;
    x = (l1 ^ l2) & m;
    l1 ^= x;
    l2 ^= x;
    if (h0 >>> 1 === h1 >>> 1 || h1 >>> 1 === h2 >>> 1 || h2 >>> 1 === h3 >>> 1) {
      // Sorted, so an equal pair is adjacent: the order needs the words this sort left out.
      writeBand(at, from, n, data, 4, levelIndex, band, out, first + band);
      continue;
    }
    // foldSorted(4, domain) of (l0, h0) .. (l3, h3).
    const domain = BAND_DOMAIN + levelIndex * 64 + band;
    let a = 0x9e3779b9 ^ Math.imul(domain, 0x85ebca6b);
    let b = 0x7f4a7c15 ^ Math.imul(domain + 4, 0xc2b2ae35);
    a = Math.imul(((a ^ l0) << 15) | ((a ^ l0) >>> 17), 0xcc9e2d51) ^ h0;
    b = Math.imul(((b ^ h0) << 13) | ((b ^ h0) >>> 19), 0x1b873593) ^ l0;
    a = (a + b) | 0;
    b = (b + a) | 0;
    a = Math.imul(((a ^ l1) << 15) | ((a ^ l1) >>> 17), 0xcc9e2d51) ^ h1;
    b = Math.imul(((b ^ h1) << 13) | ((b ^ h1) >>> 19), 0x1b873593) ^ l1;
    a = (a + b) | 0;
    b = (b + a) | 0;
    a = Math.imul(((a ^ l2) << 15) | ((a ^ l2) >>> 17), 0xcc9e2d51) ^ h2;
    b = Math.imul(((b ^ h2) << 13) | ((b ^ h2) >>> 19), 0x1b873593) ^ l2;
    a = (a + b) | 0;
    b = (b + a) | 0;
    a = Math.imul(((a ^ l3) << 15) | ((a ^ l3) >>> 17), 0xcc9e2d51) ^ h3;
    b = Math.imul(((b ^ h3) << 13) | ((b ^ h3) >>> 19), 0x1b873593) ^ l3;
    a = (a + b) | 0;
    b = (b + a) | 0;
    out[2 * (first + band)] = fmix32(a ^ 4);
    out[2 * (first + band) + 1] = fmix32(b + Math.imul(4, 0x27d4eb2f));
  }
  return B;
}
