/**
 * The distinct shingle values met by one scan, per level (runs inside the TEE). Several raw cells can
 * share a level tag ("24.8" and "24.80"; at two significant digits "24.6" and "24.8" too), and a row
 * counts such a value once. Giving each (level, tag) one small id lets a row drop repeats with a stamp
 * per id instead of comparing tags pairwise, and keeps the value's band ranks in one place.
 */
import { rankKey } from "./shingles";

const EMPTY = -1;

export class ShingleValues {
  /** Band count of each level, and the widest (the stride of `ranks`). */
  readonly #bandCounts: readonly number[];
  readonly stride: number;
  /** Per id: its level tag and its rank key in each band of its level: ranks[id * stride + band]. */
  los = new Uint32Array(1024);
  his = new Uint32Array(1024);
  ranks: Int32Array;
  count = 0;
  /** Open addressing per level on the tag: slot -> id. Tags are PRF outputs, so lo is a fine hash. */
  readonly #slots: Int32Array[];
  readonly #sizes: number[];

  constructor(bandCounts: readonly number[]) {
    this.#bandCounts = bandCounts;
    this.stride = Math.max(...bandCounts);
    this.ranks = new Int32Array(1024 * this.stride);
    this.#slots = bandCounts.map(() => new Int32Array(1 << 10).fill(EMPTY));
    this.#sizes = bandCounts.map(() => 0);
  }

  /** The id of level `level`'s tag (lo, hi); a new id, with its band ranks, if unseen. */
  intern(level: number, lo: number, hi: number): number {
    let slots = this.#slots[level]!;
    let mask = slots.length - 1;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const id = slots[slot]!;
      if (id === EMPTY) break;
      if (this.los[id] === lo >>> 0 && this.his[id] === hi >>> 0) return id;
      slot = (slot + 1) & mask;
    }
    const id = this.count++;
    if (id === this.los.length) this.#growValues();
    this.los[id] = lo;
    this.his[id] = hi;
    const B = this.#bandCounts[level]!;
    for (let band = 0; band < B; band++) this.ranks[id * this.stride + band] = rankKey(lo, hi, level, band);
    if (++this.#sizes[level]! * 2 > slots.length) {
      slots = this.#growSlots(level);
      mask = slots.length - 1;
      slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    }
    slots[slot] = id;
    return id;
  }

  #growValues(): void {
    const n = this.los.length * 2;
    const los = new Uint32Array(n);
    los.set(this.los);
    this.los = los;
    const his = new Uint32Array(n);
    his.set(this.his);
    this.his = his;
    const ranks = new Int32Array(n * this.stride);
    ranks.set(this.ranks);
    this.ranks = ranks;
  }

  #growSlots(level: number): Int32Array {
    const old = this.#slots[level]!;
    const slots = new Int32Array(old.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (const id of old) {
      if (id === EMPTY) continue;
      let slot = (this.los[id]! ^ Math.imul(this.his[id]!, 0x9e3779b1)) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.#slots[level] = slots;
    return slots;
  }
}
