/**
 * Quasi-identifier combinations (runs inside the TEE): a combination is a set of a row's
 * quasi-identifier values, column names forgotten, folded into one tag. Ingest counts every
 * combination up to a size and keeps the minimal rare ones (rare, while every smaller part is not):
 * any output row showing a rare combination shows one of those.
 */
import { folded, foldSet } from "./mix";
import type { RowValues } from "./shingles";

const COMBO_DOMAIN = 0x6000;
const cache: Uint16Array[] = [];
const members: number[] = new Array(16).fill(0);

/** Non-empty subsets of n values with at most maxSize members, smallest first (as bit masks). */
export function subsetMasks(n: number, maxSize: number): Uint16Array {
  const id = n * 16 + maxSize;
  let masks = cache[id];
  if (masks === undefined) {
    const list: number[] = [];
    for (let m = 1; m < 1 << n; m++) if (popcount(m) <= maxSize) list.push(m);
    list.sort((a, b) => popcount(a) - popcount(b) || a - b);
    masks = Uint16Array.from(list);
    cache[id] = masks;
  }
  return masks;
}

export function popcount(m: number): number {
  let c = 0;
  for (let x = m; x !== 0; x &= x - 1) c++;
  return c;
}

/** Folds the values of `row` selected by `mask` into `folded`. */
export function foldCombo(row: RowValues, mask: number): void {
  let count = 0;
  for (let i = 0; i < row.count; i++) if (mask & (1 << i)) members[count++] = i;
  foldSet(row.los, row.his, members, count, COMBO_DOMAIN);
}

export { folded };
