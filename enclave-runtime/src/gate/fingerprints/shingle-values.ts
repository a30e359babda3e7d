/**
 * The distinct shingle values met by one scan, per level (runs inside the TEE). Several raw cells can
 * share a level tag ("24.8" and "24.80"; at two significant digits "24.6" and "24.8" too), and a row
 * counts such a value once. Each (level, tag) gets one record, so a row drops repeats with a stamp in
 * the record instead of comparing tags pairwise, and the value's band ranks are computed once.
 * Records sit in one Int32Array (what a row reads of a value is one cache line, not four arrays):
 * [lo, hi, rank of band 0 .. rank of band stride-1], padded to a power of two words; a value is
 * known by its record's offset. Row stamps are apart, one word per record in `stamps` (at the
 * offset >> recordShift): the row loop reads and writes them for every cell, and in their own array
 * they stay in the nearest cache. The first record, at NO_SHINGLE_VALUE, stands for "no shingle
 * value": its stamp is always the current row's, so a row takes it as a repeat and the row loop
 * needs no test for it. The records live in the memory of the scan's band kernel (band-kernel.ts),
 * which reads them there.
 */
import { type BandKernel, releaseBandKernel, takeBandKernel } from "./band-kernel";
import { RECORD_HI as HI, RECORD_LO as LO, RECORD_RANKS as RANKS, rankKey } from "./shingles";

const INITIAL_RECORDS = 1024;

const EMPTY = -1;
/** The record a value whose level tag is not a shingle value of the index points to. */
export const NO_SHINGLE_VALUE = 0;

export class ShingleValues {
  /** Band count of each level, and the widest (the number of rank words in a record). */
  readonly #bandCounts: readonly number[];
  readonly stride: number;
  /** Words per record (a power of two), and its log2. */
  readonly width: number;
  readonly recordShift: number;
  /** The records: a view into the kernel's memory, renewed when it grows. */
  data: Int32Array;
  readonly kernel: BandKernel;
  /** The row stamp of each record: record at offset `at` has stamps[at >> recordShift]. */
  stamps: Int32Array;
  #end = 0;
  #stamp = 0;
  #released = false;
  /** Open addressing per level on the tag: slot -> record offset. Tags are PRF outputs, so lo hashes well. */
  readonly #slots: Int32Array[];
  readonly #sizes: number[];

  constructor(bandCounts: readonly number[]) {
    this.#bandCounts = bandCounts;
    this.stride = Math.max(...bandCounts);
    this.recordShift = 32 - Math.clz32(RANKS + this.stride - 1);
    this.width = 1 << this.recordShift;
    this.kernel = takeBandKernel(INITIAL_RECORDS * this.width);
    this.data = this.kernel.records;
    this.stamps = new Int32Array(this.data.length >> this.recordShift);
    this.#end = this.width; // the NO_SHINGLE_VALUE record
    this.#slots = bandCounts.map(() => new Int32Array(1 << 10).fill(EMPTY));
    this.#sizes = bandCounts.map(() => 0);
  }

  /** The record of level `level`'s tag (lo, hi); a new record, with its band ranks, if unseen. */
  intern(level: number, lo: number, hi: number): number {
    if (this.#released) throw new Error("shingle values used after their scan finished");
    let slots = this.#slots[level]!;
    let mask = slots.length - 1;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    const data = this.data;
    for (;;) {
      const at = slots[slot]!;
      if (at === EMPTY) break;
      if (data[at + LO] === (lo | 0) && data[at + HI] === (hi | 0)) return at;
      slot = (slot + 1) & mask;
    }
    const at = this.#append(level, lo, hi);
    if (++this.#sizes[level]! * 2 > slots.length) {
      slots = this.#growSlots(level);
      mask = slots.length - 1;
      slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    }
    slots[slot] = at;
    return at;
  }

  /**
   * A stamp for a new row: a row writes it into the stamp of each record it takes, so a record
   * already holding it is a repeat. Every stamp is cleared before the counter would overflow.
   */
  newRow(): number {
    if (this.#stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.#stamp = 0;
    }
    this.stamps[NO_SHINGLE_VALUE >> this.recordShift] = ++this.#stamp;
    return this.#stamp;
  }

  /** Gives the kernel back (see band-kernel.ts) at the end of the scan; the values are unusable after. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.data = new Int32Array(0);
    releaseBandKernel(this.kernel);
  }

  #append(level: number, lo: number, hi: number): number {
    if (this.#end + this.width > this.data.length) {
      this.kernel.growRecords(this.data.length * 2);
      this.data = this.kernel.records;
      const stamps = new Int32Array(this.data.length >> this.recordShift);
      stamps.set(this.stamps);
      this.stamps = stamps;
    }
    const at = this.#end;
    this.#end += this.width;
    const data = this.data;
    data[at + LO] = lo;
    data[at + HI] = hi;
    const B = this.#bandCounts[level]!;
    for (let band = 0; band < B; band++) data[at + RANKS + band] = rankKey(lo, hi, level, band);
    this.stamps[at >> this.recordShift] = 0;
    return at;
  }

  #growSlots(level: number): Int32Array {
    const old = this.#slots[level]!;
    const slots = new Int32Array(old.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (const at of old) {
      if (at === EMPTY) continue;
      let slot = (this.data[at + LO]! ^ Math.imul(this.data[at + HI]!, 0x9e3779b1)) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = at;
    }
    this.#slots[level] = slots;
    return slots;
  }
}
