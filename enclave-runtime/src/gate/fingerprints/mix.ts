/**
 * Combining 64-bit fingerprint tags (runs inside the TEE). Tags are keyed PRF outputs, so these public
 * mixing functions need only spread bits well: a combined tag is as unguessable as its inputs, and a
 * collision costs at worst a false alarm, never a missed row. Tags travel as (lo, hi) 32-bit pairs.
 */

/** Output of the fold functions (read it before the next call). */
export const folded = { lo: 0, hi: 0 };

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Input of foldSorted: the members' (lo, hi) words, in ascending tag order. */
export const sortedLo = new Int32Array(16);
export const sortedHi = new Int32Array(16);
const SIGN = 0x80000000 | 0;

/**
 * Folds `count` tags, given by index into `los`/`his` through `order`, in ascending tag order, with a
 * domain number, so that a set of tags has one fold whatever order its members came in.
 */
export function foldSet(
  los: ArrayLike<number>,
  his: ArrayLike<number>,
  order: ArrayLike<number>,
  count: number,
  domain: number,
): void {
  for (let i = 0; i < count; i++) {
    const k = order[i]!;
    insertSorted(i, los[k]! | 0, his[k]! | 0);
  }
  foldSorted(count, domain);
}

/**
 * Puts the tag (lo, hi) into sortedLo/sortedHi, whose first `filled` entries are in ascending
 * tag order (insertion sort: sets here have at most a dozen members). Compares as unsigned 64-bit
 * numbers, in int32 arithmetic (x ^ SIGN orders signed as x orders unsigned).
 */
export function insertSorted(filled: number, lo: number, hi: number): void {
  const kh = hi ^ SIGN;
  const kl = lo ^ SIGN;
  let j = filled;
  while (j > 0) {
    const ph = sortedHi[j - 1]! ^ SIGN;
    if (ph < kh || (ph === kh && (sortedLo[j - 1]! ^ SIGN) <= kl)) break;
    sortedLo[j] = sortedLo[j - 1]!;
    sortedHi[j] = sortedHi[j - 1]!;
    j--;
  }
  sortedLo[j] = lo;
  sortedHi[j] = hi;
}

/** The fold of the `count` tags in sortedLo/sortedHi (see foldSet), into `folded`. */
export function foldSorted(count: number, domain: number): void {
  let a = 0x9e3779b9 ^ Math.imul(domain, 0x85ebca6b);
  let b = 0x7f4a7c15 ^ Math.imul(domain + count, 0xc2b2ae35);
  for (let i = 0; i < count; i++) {
    const lo = sortedLo[i]!;
    const hi = sortedHi[i]!;
    a = Math.imul(((a ^ lo) << 15) | ((a ^ lo) >>> 17), 0xcc9e2d51) ^ hi;
    b = Math.imul(((b ^ hi) << 13) | ((b ^ hi) >>> 19), 0x1b873593) ^ lo;
    a = (a + b) | 0;
    b = (b + a) | 0;
  }
  folded.lo = fmix32(a ^ count);
  folded.hi = fmix32(b + Math.imul(count, 0x27d4eb2f));
}

/** A per-band hash of a tag: the order in which a band picks its members (a min-hash permutation). */
export function bandRank(lo: number, hi: number, seed: number): number {
  return fmix32((lo ^ seed) + Math.imul(hi, 0x9e3779b1));
}
