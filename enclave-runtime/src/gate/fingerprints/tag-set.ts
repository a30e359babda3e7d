/**
 * A compact, immutable set of 64-bit tags (runs inside the TEE): sorted unique tags in one
 * BigUint64Array (8 bytes a tag, stored as is), looked up through a bucket table on the top bits so
 * a lookup is a short scan with 32-bit arithmetic and no BigInt.
 */
import { Cce4longError } from "@cce4long/protocol";

export class TagSet {
  readonly tags: BigUint64Array;
  readonly #words: Uint32Array;
  readonly #shift: number;
  readonly #buckets: Uint32Array;

  private constructor(sortedUnique: BigUint64Array) {
    this.tags = sortedUnique;
    this.#words = new Uint32Array(sortedUnique.buffer, sortedUnique.byteOffset, sortedUnique.length * 2);
    const bits = Math.max(4, Math.min(24, Math.ceil(Math.log2(Math.max(1, sortedUnique.length))) - 1));
    this.#shift = 32 - bits;
    const buckets = new Uint32Array((1 << bits) + 1);
    // buckets[b] = index of the first tag whose top bits are >= b.
    let t = 0;
    for (let b = 0; b <= 1 << bits; b++) {
      while (t < sortedUnique.length && this.#words[2 * t + 1]! >>> this.#shift < b) t++;
      buckets[b] = t;
    }
    this.#buckets = buckets;
  }

  /** Builds from `count` (lo, hi) word pairs (duplicates allowed). */
  static fromPairs(pairs: Uint32Array, count: number): TagSet {
    const all = new BigUint64Array(count);
    new Uint32Array(all.buffer).set(pairs.subarray(0, count * 2));
    all.sort();
    let unique = 0;
    for (let i = 0; i < all.length; i++) {
      if (i === 0 || all[i] !== all[unique - 1]) all[unique++] = all[i]!;
    }
    return new TagSet(all.slice(0, unique));
  }

  /** Takes tags that are already sorted and unique (a deserialized set); checks that they are. */
  static fromSorted(tags: BigUint64Array): TagSet {
    for (let i = 1; i < tags.length; i++) {
      if (tags[i]! <= tags[i - 1]!) {
        throw new Cce4longError("VALIDATION_FAILED", "fingerprint index is corrupt (tags out of order)");
      }
    }
    return new TagSet(tags);
  }

  get size(): number {
    return this.tags.length;
  }

  has(lo: number, hi: number): boolean {
    const h = hi >>> 0;
    const l = lo >>> 0;
    const b = h >>> this.#shift;
    const words = this.#words;
    for (let i = this.#buckets[b]!, end = this.#buckets[b + 1]!; i < end; i++) {
      const wh = words[2 * i + 1]!;
      if (wh === h) {
        const wl = words[2 * i]!;
        if (wl === l) return true;
        if (wl > l) return false;
      } else if (wh > h) return false;
    }
    return false;
  }

  /**
   * Looks up `count` tags (los[q], his[q]) and sets hits[q] to 1 or 0. Same answers as has(), in
   * a better order: queries are radix-sorted by their high word first, so a large set is swept
   * from start to end instead of being hit at random (a random lookup in tens of MiB is a cache
   * miss or two; a sweep is read ahead by the hardware).
   */
  hasEach(los: Uint32Array, his: Uint32Array, count: number, hits: Uint8Array): void {
    const order = sortByHigh(his, count);
    for (let i = 0; i < count; i++) {
      const q = order[i]!;
      hits[q] = this.has(los[q]!, his[q]!) ? 1 : 0;
    }
  }
}

const radixCounts = new Uint32Array(1 << 16);
let radixA = new Uint32Array(1 << 16);
let radixB = new Uint32Array(1 << 16);

/** Indices 0..count-1 ordered by his[i] (LSD radix sort, two 16-bit digits); valid until the next call. */
function sortByHigh(his: Uint32Array, count: number): Uint32Array {
  if (radixA.length < count) {
    radixA = new Uint32Array(count * 2);
    radixB = new Uint32Array(count * 2);
  }
  const counts = radixCounts;
  // Low digit: from the identity order into A.
  counts.fill(0);
  for (let i = 0; i < count; i++) counts[his[i]! & 0xffff]!++;
  let sum = 0;
  for (let d = 0; d < counts.length; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < count; i++) radixA[counts[his[i]! & 0xffff]!++] = i;
  // High digit: from A into B, stable.
  counts.fill(0);
  for (let i = 0; i < count; i++) counts[his[i]! >>> 16]!++;
  sum = 0;
  for (let d = 0; d < counts.length; d++) {
    const c = counts[d]!;
    counts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < count; i++) {
    const q = radixA[i]!;
    radixB[counts[his[q]! >>> 16]!++] = q;
  }
  return radixB;
}

/** A growable list of (lo, hi) pairs to turn into a TagSet. */
export class TagList {
  pairs = new Uint32Array(2 * 1024);
  count = 0;

  add(lo: number, hi: number): void {
    if (this.count * 2 + 2 > this.pairs.length) {
      const grown = new Uint32Array(this.pairs.length * 2);
      grown.set(this.pairs);
      this.pairs = grown;
    }
    this.pairs[this.count * 2] = lo;
    this.pairs[this.count * 2 + 1] = hi;
    this.count++;
  }

  toSet(): TagSet {
    return TagSet.fromPairs(this.pairs, this.count);
  }
}
