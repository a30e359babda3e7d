/**
 * A Bloom filter in front of a large tag set (runs inside the TEE): the scan asks it first, and only
 * tags it may hold go on to the set itself. A clean output's band tags are nearly all absent from
 * the index, and the filter (2 bytes a tag, a sixth of the set's memory) answers most of them from
 * one word each instead of a sorted sweep of the whole set. One 32-bit word per tag with four bits
 * set in it (a blocked Bloom filter: one cache line per probe). It never says no for a tag the set
 * holds, so answers after it are exactly the set's. Lives in a SharedArrayBuffer like the set, so
 * scan workers share it instead of rebuilding it.
 */
import { Cce4longError } from "@cce4long/protocol";

/**
 * Filter bits per tag (at least; the word count is rounded up to a power of two). With four bits a
 * word, 3.8% of absent tags pass on the 1M-row bench index (8M band tags, 8 MiB of filter, built in
 * about 0.07 s, once per loaded index, for its first output large enough for the worker pool:
 * scan-csv.ts). 16 bits a tag let 0.8% pass, but the probes of a filter twice the size, which wait
 * for memory, cost more than the set lookups the extra passes add (10 MB of clean rows: 14 ms of
 * probes and 22k passes against 19 to 23 ms and 5k; of copied rows, 170 against 175 to 182 ms).
 */
const BITS_PER_TAG = 8;

/** The word of a tag (low word bits) and its four bits in it (from the high word). */
function bitsOf(hi: number): number {
  return (1 << (hi & 31)) | (1 << ((hi >>> 5) & 31)) | (1 << ((hi >>> 10) & 31)) | (1 << ((hi >>> 15) & 31));
}

/** Filter words for `count` tags: a power of two, at least 16. */
function wordsFor(count: number): number {
  return 2 ** Math.max(4, Math.ceil(Math.log2(Math.max(1, (count * BITS_PER_TAG) / 32))));
}

export class TagPrefilter {
  readonly words: Uint32Array;
  readonly #mask: number;

  private constructor(words: Uint32Array) {
    this.words = words;
    this.#mask = words.length - 1;
  }

  /** A filter of the `count` tags in `pairs` ((lo, hi) words, as TagSet stores them). */
  static build(pairs: Uint32Array, count: number): TagPrefilter {
    const size = wordsFor(count);
    const words = new Uint32Array(new SharedArrayBuffer(size * 4));
    const mask = size - 1;
    for (let i = 0; i < count; i++) words[pairs[2 * i]! & mask]! |= bitsOf(pairs[2 * i + 1]!);
    return new TagPrefilter(words);
  }

  /**
   * The filter another thread built (its `words`) for a set of `count` tags: the same memory,
   * nothing copied or rebuilt. A filter of another size is refused (it belongs to another set, and
   * could say no for tags this set holds).
   */
  static fromShared(words: Uint32Array, count: number): TagPrefilter {
    if (!(words.buffer instanceof SharedArrayBuffer) || words.length !== wordsFor(count)) {
      throw new Cce4longError("VALIDATION_FAILED", "shared tag prefilter has the wrong shape");
    }
    return new TagPrefilter(words);
  }

  /** False: the set does not hold (lo, hi). True: it may. */
  mayHave(lo: number, hi: number): boolean {
    const bits = bitsOf(hi);
    return (this.words[lo & this.#mask]! & bits) === bits;
  }

  /**
   * mayHave for each of `count` (lo, hi) pairs: writes the pairs it may hold to `out.pairs`, and for
   * each its label to `out.labels` (labels[q] for query q, or q itself without `labels`; room for
   * `count` needed), and returns how many. The queries are first grouped by the region of the
   * filter they read (a counting sort on the top bits of their word index, which reads the labels in
   * the caller's order), so the filter is read region by region: at random, a probe of a filter of
   * many MiB waits for memory nearly every time (about a third less time on a 16 MiB filter).
   */
  mayHaveEach(
    pairs: Uint32Array,
    count: number,
    out: { pairs: Uint32Array; labels: Uint32Array },
    labels: Uint32Array | null = null,
  ): number {
    const mask = this.#mask;
    const shift = Math.max(0, 31 - Math.clz32(mask + 1) - REGION_BITS);
    const starts = regionStarts;
    starts.fill(0);
    for (let q = 0; q < count; q++) starts[(pairs[2 * q]! & mask) >>> shift]!++;
    let sum = 0;
    for (let r = 0; r < starts.length; r++) {
      const c = starts[r]!;
      starts[r] = sum;
      sum += c;
    }
    if (grouped.queries.length < count) {
      grouped.pairs = new Uint32Array(4 * count);
      grouped.queries = new Uint32Array(2 * count);
    }
    const byRegion = grouped.pairs;
    const queries = grouped.queries;
    for (let q = 0; q < count; q++) {
      const lo = pairs[2 * q]!;
      const at = starts[(lo & mask) >>> shift]!++;
      byRegion[2 * at] = lo;
      byRegion[2 * at + 1] = pairs[2 * q + 1]!;
      queries[at] = labels === null ? q : labels[q]!;
    }
    const words = this.words;
    let n = 0;
    for (let i = 0; i < count; i++) {
      const lo = byRegion[2 * i]!;
      const hi = byRegion[2 * i + 1]!;
      const bits = bitsOf(hi);
      if ((words[lo & mask]! & bits) !== bits) continue;
      out.pairs[2 * n] = lo;
      out.pairs[2 * n + 1] = hi;
      out.labels[n++] = queries[i]!;
    }
    return n;
  }
}

/** Regions mayHaveEach groups queries by (2^REGION_BITS of them: 32 KiB each in an 8 MiB filter). */
const REGION_BITS = 8;
const regionStarts = new Uint32Array(1 << REGION_BITS);
/** Queries in region order: their words and their labels (reused). */
const grouped = { pairs: new Uint32Array(2 << 12), queries: new Uint32Array(1 << 12) };
