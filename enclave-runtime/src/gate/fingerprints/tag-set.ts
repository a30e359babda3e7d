/**
 * A compact, immutable set of 64-bit tags (runs inside the TEE): sorted unique tags in one
 * BigUint64Array (8 bytes a tag, stored as is), looked up through a bucket table on the top bits so
 * a lookup is a short scan with 32-bit arithmetic and no BigInt. A set looked up in bulk (the band
 * set) can have a Bloom prefilter in front (tag-prefilter.ts). All tables live in SharedArrayBuffers,
 * so the gate's scan workers (parallel-scan/) read the same memory instead of a copy.
 */
import { Cce4longError } from "@cce4long/protocol";
import { TagPrefilter } from "./tag-prefilter";

/** What a worker thread needs to use a set without copying or rebuilding it (postMessage shares both). */
export interface SharedTagSet {
  tags: BigUint64Array;
  buckets: Uint32Array;
  shift: number;
  /** The prefilter's words, when the set has one (addPrefilter). */
  prefilter?: Uint32Array;
}

function sharedBigUint64(length: number): BigUint64Array {
  return new BigUint64Array(new SharedArrayBuffer(length * 8));
}

function sharedUint32(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(length * 4));
}

export class TagSet {
  readonly tags: BigUint64Array;
  readonly #words: Uint32Array;
  readonly #shift: number;
  readonly #buckets: Uint32Array;
  #prefilter: TagPrefilter | null = null;

  private constructor(sortedUnique: BigUint64Array, shared?: SharedTagSet) {
    this.tags = sortedUnique;
    this.#words = new Uint32Array(sortedUnique.buffer, sortedUnique.byteOffset, sortedUnique.length * 2);
    if (shared !== undefined) {
      this.#shift = shared.shift;
      this.#buckets = shared.buckets;
      if (shared.prefilter !== undefined) {
        this.#prefilter = TagPrefilter.fromShared(shared.prefilter, sortedUnique.length);
      }
      return;
    }
    const bits = Math.max(4, Math.min(24, Math.ceil(Math.log2(Math.max(1, sortedUnique.length))) - 1));
    this.#shift = 32 - bits;
    const buckets = sharedUint32((1 << bits) + 1);
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
    const kept = sharedBigUint64(unique);
    kept.set(all.subarray(0, unique));
    return new TagSet(kept);
  }

  /**
   * Takes tags that are already sorted and unique (a deserialized set); checks that they are. The
   * tags are kept as given when they are in a SharedArrayBuffer, else copied into one.
   */
  static fromSorted(tags: BigUint64Array): TagSet {
    for (let i = 1; i < tags.length; i++) {
      if (tags[i]! <= tags[i - 1]!) {
        throw new Cce4longError("VALIDATION_FAILED", "fingerprint index is corrupt (tags out of order)");
      }
    }
    if (tags.buffer instanceof SharedArrayBuffer) return new TagSet(tags);
    const kept = sharedBigUint64(tags.length);
    kept.set(tags);
    return new TagSet(kept);
  }

  /** A tag set given by another thread's shared(): the same memory, nothing copied or rebuilt. */
  static fromShared(shared: SharedTagSet): TagSet {
    const { tags, buckets, shift } = shared;
    if (
      !(tags.buffer instanceof SharedArrayBuffer) ||
      !(buckets.buffer instanceof SharedArrayBuffer) ||
      !Number.isInteger(shift) ||
      shift < 8 ||
      shift > 28 ||
      buckets.length !== 2 ** (32 - shift) + 1 ||
      buckets[buckets.length - 1] !== tags.length
    ) {
      throw new Cce4longError("VALIDATION_FAILED", "shared tag set has the wrong shape");
    }
    return new TagSet(tags, shared);
  }

  /** The set's tables for a worker thread (see fromShared). */
  shared(): SharedTagSet {
    const shared: SharedTagSet = { tags: this.tags, buckets: this.#buckets, shift: this.#shift };
    if (this.#prefilter !== null) shared.prefilter = this.#prefilter.words;
    return shared;
  }

  /**
   * Puts a Bloom prefilter in front of countPerGroup (built once; a set given by fromShared keeps the
   * other thread's). For a set looked up in bulk and mostly missed: the band set.
   */
  addPrefilter(): void {
    this.#prefilter ??= TagPrefilter.build(this.#words, this.tags.length);
  }

  /** Bytes the set holds in memory: its tags, bucket table and prefilter (when built). */
  get memoryBytes(): number {
    return this.tags.byteLength + this.#buckets.byteLength + (this.#prefilter?.words.byteLength ?? 0);
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
   * For queries in groups (query q, the pair pairs[2q], pairs[2q + 1], belongs to group groups[q]):
   * sets counts[g] to how many of group g's tags the set holds, counted up to `cap` (at most 255:
   * counts are bytes; the first `groupCount` counts are written). The same counts as has() summed
   * per group and capped, with fewer lookups: the prefilter answers most misses, and a group's
   * queries past its first `cap` that it lets through are looked up only when those first ones did
   * not all hit (a scan's rows: one band tag in the index is a match and two a strong one, and a
   * copied row has many). With one group per query and cap 1, counts[q] is has() of query q.
   */
  countPerGroup(
    pairs: Uint32Array,
    count: number,
    groups: Uint32Array,
    groupCount: number,
    cap: number,
    counts: Uint8Array,
  ): void {
    if (!Number.isInteger(cap) || cap < 1 || cap > 255) throw new RangeError("cap must be 1 to 255");
    counts.fill(0, 0, groupCount);
    const passedCount = this.#mayHaveEach(pairs, count, groups); // labelled by group
    const taken = groupScratch(groupCount);
    taken.fill(0, 0, groupCount);
    // First round: at most `cap` passed queries a group; the others wait. Both lists keep each
    // query's pair and group, so nothing below reads the caller's arrays at random again.
    const first = roundScratch(firstRound, passedCount);
    const later = roundScratch(laterRound, passedCount);
    let n = 0;
    let waiting = 0;
    for (let i = 0; i < passedCount; i++) {
      const g = passed.labels[i]!;
      const lo = passed.pairs[2 * i]!;
      const hi = passed.pairs[2 * i + 1]!;
      if (taken[g]! < cap) {
        taken[g]!++;
        first.pairs[2 * n] = lo;
        first.pairs[2 * n + 1] = hi;
        first.labels[n++] = g;
      } else {
        later.pairs[2 * waiting] = lo;
        later.pairs[2 * waiting + 1] = hi;
        later.labels[waiting++] = g;
      }
    }
    this.#countHits(first, n, cap, counts);
    // Second round: the waiting queries of groups still under the cap.
    let m = 0;
    for (let w = 0; w < waiting; w++) {
      const g = later.labels[w]!;
      if (counts[g]! >= cap) continue;
      first.pairs[2 * m] = later.pairs[2 * w]!;
      first.pairs[2 * m + 1] = later.pairs[2 * w + 1]!;
      first.labels[m++] = g;
    }
    this.#countHits(first, m, cap, counts);
  }

  /**
   * Looks up a round's n pairs and adds each hit to its group's count, up to cap. The pairs are
   * bucketed by the top 16 bits of their high word first, so a large set is swept from start to end
   * instead of being hit at random (a random lookup in tens of MiB is a cache miss or two; a sweep
   * is read ahead by the hardware, and the queries of one bucket meet in a few KiB of the set).
   */
  #countHits(round: Round, n: number, cap: number, counts: Uint8Array): void {
    const { los, his, queries } = sortByTopBits(round.pairs, n);
    for (let i = 0; i < n; i++) {
      if (!this.has(los[i]!, his[i]!)) continue;
      const g = round.labels[queries[i]!]!;
      if (counts[g]! < cap) counts[g]!++;
    }
  }

  /**
   * Puts the queries the prefilter lets through (all of them without one) in `passed`, each with
   * labels[q]; returns how many.
   */
  #mayHaveEach(pairs: Uint32Array, count: number, labels: Uint32Array): number {
    const out = roundScratch(passed, count);
    const filter = this.#prefilter;
    if (filter !== null) return filter.mayHaveEach(pairs, count, out, labels);
    out.pairs.set(pairs.subarray(0, 2 * count));
    out.labels.set(labels.subarray(0, count));
    return count;
  }
}

/** Queries with a label each: their (lo, hi) words and labels (the query's group, for countPerGroup). */
interface Round {
  pairs: Uint32Array;
  labels: Uint32Array;
}
/** countPerGroup's scratch (reused): the queries a prefilter let through, and its two rounds. */
const passed: Round = { pairs: new Uint32Array(2 << 12), labels: new Uint32Array(1 << 12) };
const firstRound: Round = { pairs: new Uint32Array(2 << 12), labels: new Uint32Array(1 << 12) };
const laterRound: Round = { pairs: new Uint32Array(2 << 12), labels: new Uint32Array(1 << 12) };
/** Queries taken per group. */
let takenPerGroup = new Uint8Array(1 << 12);

function groupScratch(groups: number): Uint8Array {
  if (takenPerGroup.length < groups) takenPerGroup = new Uint8Array(2 * groups);
  return takenPerGroup;
}

/** `round`, with room for `count` queries. */
function roundScratch(round: Round, count: number): Round {
  if (round.labels.length < count) {
    round.pairs = new Uint32Array(4 * count);
    round.labels = new Uint32Array(2 * count);
  }
  return round;
}

const TOP_BITS = 16;
const bucketStarts = new Uint32Array(1 << TOP_BITS);
/** Queries grouped by top bits: their words and their index in the caller's order (reused). */
const sorted = {
  los: new Uint32Array(1 << 16),
  his: new Uint32Array(1 << 16),
  queries: new Uint32Array(1 << 16),
};

/**
 * The `count` pairs grouped by the top bits of their high word (a counting sort), copied so that
 * the lookups read them in order too; valid until the next call.
 */
function sortByTopBits(pairs: Uint32Array, count: number): typeof sorted {
  if (sorted.los.length < count) {
    sorted.los = new Uint32Array(count * 2);
    sorted.his = new Uint32Array(count * 2);
    sorted.queries = new Uint32Array(count * 2);
  }
  const { los, his, queries } = sorted;
  const starts = bucketStarts;
  const shift = 32 - TOP_BITS;
  starts.fill(0);
  for (let i = 0; i < count; i++) starts[pairs[2 * i + 1]! >>> shift]!++;
  let sum = 0;
  for (let d = 0; d < starts.length; d++) {
    const c = starts[d]!;
    starts[d] = sum;
    sum += c;
  }
  for (let i = 0; i < count; i++) {
    const hi = pairs[2 * i + 1]!;
    const at = starts[hi >>> shift]!++;
    los[at] = pairs[2 * i]!;
    his[at] = hi;
    queries[at] = i;
  }
  return sorted;
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
