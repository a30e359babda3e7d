/**
 * Row shingles that survive reordering, subsetting and rounding (runs inside the TEE). A row is the
 * set of its values' tags, column names forgotten. Each band picks the few values that rank lowest
 * under its own hash (min-hash), so an output row that kept most of a dataset row's values picks the
 * same ones with good probability, whatever its column order or extra cells; the band's tag is the
 * fold of those values. Ingest stores band tags; a scan recomputes them from output rows.
 */
import { bandRank, folded, foldSet } from "./mix";
import type { ShingleLevel } from "./params";

const BAND_DOMAIN = 0x5000;
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

const ranks = new Uint32Array(12);
const order: number[] = new Array(12).fill(0);

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
  const r = level.valuesPerBand;
  if (row.count < r) return;
  for (let band = 0; band < level.bands; band++) {
    const seed = BAND_SEEDS[(levelIndex * 32 + band) % BAND_SEEDS.length]!;
    let filled = 0;
    for (let i = 0; i < row.count; i++) {
      const rank = bandRank(row.los[i]!, row.his[i]!, seed);
      if (filled < r) {
        let j = filled++;
        while (j > 0 && ranks[j - 1]! > rank) {
          ranks[j] = ranks[j - 1]!;
          order[j] = order[j - 1]!;
          j--;
        }
        ranks[j] = rank;
        order[j] = i;
      } else if (rank < ranks[r - 1]!) {
        let j = r - 1;
        while (j > 0 && ranks[j - 1]! > rank) {
          ranks[j] = ranks[j - 1]!;
          order[j] = order[j - 1]!;
          j--;
        }
        ranks[j] = rank;
        order[j] = i;
      }
    }
    foldSet(row.los, row.his, order, r, BAND_DOMAIN + levelIndex * 64 + band);
    emit(folded.lo, folded.hi);
  }
}
