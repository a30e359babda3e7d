/**
 * Tests of the scan's own tables (runs in Node under vitest): byte-keyed interning of CSV cells, the
 * per-level shingle value records, batched band lookups (with and without their Bloom prefilter) and
 * the scan's step-by-step band writer (the band kernel has band-kernel.test.ts). Each is checked
 * against the plain version it replaces (a Map of strings, has(), forEachBand of build.ts), so a
 * faster scan cannot drift from what ingest stored.
 */
import { describe, expect, it } from "vitest";
import { stream } from "../test-support/random-stream";
import { ByteKeys } from "./byte-keys";
import type { ShingleLevel } from "./params";
import { NO_SHINGLE_VALUE, ShingleValues } from "./shingle-values";
import { forEachBand, forEachBandRanked, RECORD_RANKS, RowValues, rankKey, writeBands } from "./shingles";
import { TagPrefilter } from "./tag-prefilter";
import { TagList, TagSet } from "./tag-set";

/** `count` random tags from `next`, as a list to build sets from and as pairs. */
function randomMembers(next: () => number, count: number): { list: TagList; members: [number, number][] } {
  const list = new TagList();
  const members: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const pair: [number, number] = [next(), next()];
    members.push(pair);
    list.add(pair[0], pair[1]);
  }
  return { list, members };
}

/**
 * Queries from `members`: a third members, a third near misses (the same high word), a third random
 * tags, in that turn.
 */
function mixedQueries(next: () => number, members: [number, number][], count: number): Uint32Array {
  const pairs = new Uint32Array(2 * count);
  for (let q = 0; q < count; q++) {
    const m = members[next() % members.length]!;
    const kind = q % 3;
    pairs[2 * q] = kind === 0 ? m[0] : kind === 1 ? m[0] ^ 1 : next();
    pairs[2 * q + 1] = kind === 2 ? next() : m[1];
  }
  return pairs;
}

/** Each query's answer (1 or 0) from countPerGroup with one group per query and cap 1. */
function hitsOf(set: TagSet, pairs: Uint32Array, count: number): Uint8Array {
  const hits = new Uint8Array(count).fill(7);
  set.countPerGroup(
    pairs,
    count,
    Uint32Array.from({ length: count }, (_, q) => q),
    count,
    1,
    hits,
  );
  return hits;
}

describe("ByteKeys", () => {
  it("gives equal cells one id and different cells different ids, short and long, past growth", () => {
    const next = stream(7);
    const alphabet = "0123456789.-aé,";
    const cells: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Lengths 0..20 around the 11-byte packing limit, from a small alphabet so cells repeat.
      const len = next() % 21;
      let s = "";
      for (let k = 0; k < len; k++) s += alphabet[next() % (len > 3 ? alphabet.length : 3)];
      cells.push(s);
    }
    // Around the packing limit: cells that differ only in their last byte, or only in length.
    cells.push("1234567890a", "1234567890b", "12345678901a", "12345678901b", "1234567890", "");
    cells.push("a\u0000", "a", "12345678901a", "1234567890b");
    const text = cells.join("\n");
    const bytes = new TextEncoder().encode(text);
    const keys = new ByteKeys();
    keys.setSource(bytes);
    const expected = new Map<string, number>();
    let start = 0;
    let nextId = 0;
    for (const cell of cells) {
      const end = start + new TextEncoder().encode(cell).length;
      let id = keys.find(start, end);
      if (id < 0) {
        id = nextId++;
        keys.add(id, start, end);
      }
      if (!expected.has(cell)) expected.set(cell, id);
      expect(id).toBe(expected.get(cell));
      expect(new TextDecoder().decode(keys.bytes(id))).toBe(cell);
      start = end + 1;
    }
    expect(nextId).toBe(expected.size);
  });
});

const LEVELS: ShingleLevel[] = [
  { sig: 3, bands: 4, valuesPerBand: 4, maxValueShare: 0.02 },
  { sig: 2, bands: 3, valuesPerBand: 5, maxValueShare: 0.05 },
];

describe("ShingleValues", () => {
  it("keeps one record per (level, tag), with the tag's rank keys", () => {
    const values = new ShingleValues(LEVELS.map((l) => l.bands));
    const next = stream(11);
    const tags = Array.from({ length: 3000 }, () => [next(), next()] as const);
    const seen = new Map<string, number>();
    for (let round = 0; round < 2; round++) {
      for (const [i, [lo, hi]] of tags.entries()) {
        const level = i % 2;
        const at = values.intern(level, lo, hi);
        const name = `${level}:${lo}:${hi}`;
        if (round === 0 && !seen.has(name)) seen.set(name, at);
        expect(at).toBe(seen.get(name));
        for (let band = 0; band < LEVELS[level]!.bands; band++) {
          expect(values.data[at + RECORD_RANKS + band]).toBe(rankKey(lo, hi, level, band));
        }
      }
    }
    // The same tag at another level is another value (its ranks differ).
    const [lo, hi] = tags[0]!;
    expect(values.intern(1, lo, hi)).not.toBe(values.intern(0, lo, hi));
  });

  it("gives each row a new stamp", () => {
    const values = new ShingleValues([4]);
    const at = values.intern(0, 1, 2);
    const a = values.newRow();
    values.stamps[at >> values.recordShift] = a;
    const b = values.newRow();
    expect(b).not.toBe(a);
    expect(values.stamps[at >> values.recordShift]).not.toBe(b);
    // The "no shingle value" record is never a value's, and always holds the row's stamp, so a
    // row never counts it.
    expect(at).not.toBe(NO_SHINGLE_VALUE);
    expect(values.stamps[NO_SHINGLE_VALUE >> values.recordShift]).toBe(b);
  });
});

describe("TagSet.countPerGroup", () => {
  it("answers as has() for members and non-members, in any order", () => {
    const next = stream(3);
    const { list, members } = randomMembers(next, 50_000);
    const set = list.toSet();
    const count = 20_000;
    const pairs = mixedQueries(next, members, count);
    const hits = hitsOf(set, pairs, count);
    let found = 0;
    for (let q = 0; q < count; q++) {
      expect(hits[q]).toBe(set.has(pairs[2 * q]!, pairs[2 * q + 1]!) ? 1 : 0);
      found += hits[q]!;
    }
    expect(found).toBeGreaterThanOrEqual(Math.floor(count / 3));
  });

  it("answers as has() behind a prefilter, shared with another thread's copy, and the filter rarely lets a miss through", () => {
    const next = stream(11);
    const { list, members } = randomMembers(next, 200_000);
    const set = list.toSet();
    set.addPrefilter();
    const shared = set.shared();
    expect(shared.prefilter).toBeInstanceOf(Uint32Array);
    const copy = TagSet.fromShared(shared);
    const filter = TagPrefilter.fromShared(shared.prefilter!, set.size);
    const count = 60_000;
    const pairs = mixedQueries(next, members, count);
    for (const s of [set, copy]) {
      const hits = hitsOf(s, pairs, count);
      let found = 0;
      let misses = 0;
      let passed = 0;
      for (let q = 0; q < count; q++) {
        const member = set.has(pairs[2 * q]!, pairs[2 * q + 1]!);
        expect(hits[q]).toBe(member ? 1 : 0);
        found += hits[q]!;
        if (!member) {
          misses++;
          if (filter.mayHave(pairs[2 * q]!, pairs[2 * q + 1]!)) passed++;
        } else expect(filter.mayHave(pairs[2 * q]!, pairs[2 * q + 1]!)).toBe(true);
      }
      expect(found).toBeGreaterThanOrEqual(Math.floor(count / 3));
      // At least 8 bits a tag, four bits a word: under 5% of misses pass.
      expect(passed / misses).toBeLessThan(0.05);
    }
    // In bulk (grouped by filter region), the filter passes exactly the queries mayHave passes,
    // each with its label (its index, or the label given).
    const out = { pairs: new Uint32Array(2 * count), labels: new Uint32Array(count) };
    const n = filter.mayHaveEach(pairs, count, out);
    const expected = new Set<number>();
    for (let q = 0; q < count; q++) if (filter.mayHave(pairs[2 * q]!, pairs[2 * q + 1]!)) expected.add(q);
    expect(n).toBe(expected.size);
    const origins = [...out.labels.subarray(0, n)];
    expect(new Set(origins)).toEqual(expected);
    for (let i = 0; i < n; i++) {
      expect([out.pairs[2 * i], out.pairs[2 * i + 1]]).toEqual([
        pairs[2 * origins[i]!],
        pairs[2 * origins[i]! + 1],
      ]);
    }
    const labels = Uint32Array.from({ length: count }, (_, q) => q * 3 + 1);
    const labelled = { pairs: new Uint32Array(2 * count), labels: new Uint32Array(count) };
    expect(filter.mayHaveEach(pairs, count, labelled, labels)).toBe(n);
    expect([...labelled.labels.subarray(0, n)]).toEqual(origins.map((q) => q * 3 + 1));
  });

  it("countPerGroup gives each group's hits counted up to the cap, with or without a prefilter", () => {
    const next = stream(21);
    const { list, members } = randomMembers(next, 50_000);
    const plain = list.toSet();
    const filtered = list.toSet();
    filtered.addPrefilter();
    // Groups of 0 to 12 queries, each a member with a probability that differs by group: some
    // groups hit nothing, some once, many more often than the cap.
    const groupCount = 3000;
    const groupOf: number[] = [];
    const pairList: number[] = [];
    for (let g = 0; g < groupCount; g++) {
      const size = next() % 13;
      const share = g % 4;
      for (let k = 0; k < size; k++) {
        const member = next() % 4 < share;
        const [lo, hi] = member ? members[next() % members.length]! : [next(), next()];
        pairList.push(lo, hi);
        groupOf.push(g);
      }
    }
    const count = groupOf.length;
    const pairs = Uint32Array.from(pairList);
    const groups = Uint32Array.from(groupOf);
    // The reference: has(), one query at a time.
    const hits = Uint8Array.from({ length: count }, (_, q) =>
      plain.has(pairs[2 * q]!, pairs[2 * q + 1]!) ? 1 : 0,
    );
    for (const cap of [1, 2, 5]) {
      const expected = new Uint8Array(groupCount);
      for (let q = 0; q < count; q++) if (hits[q] && expected[groups[q]!]! < cap) expected[groups[q]!]!++;
      for (const set of [plain, filtered]) {
        const counts = new Uint8Array(groupCount + 1).fill(9);
        set.countPerGroup(pairs, count, groups, groupCount, cap, counts);
        expect([...counts.subarray(0, groupCount)]).toEqual([...expected]);
        expect(counts[groupCount]).toBe(9); // nothing past the groups is written
      }
      expect(expected.filter((c) => c === cap).length).toBeGreaterThan(300);
    }
  });

  it("error: a shared prefilter of the wrong shape, or another set's, is refused", () => {
    const refused = expect.objectContaining({ code: "VALIDATION_FAILED" });
    expect(() => TagPrefilter.fromShared(new Uint32Array(new SharedArrayBuffer(4 * 24)), 10)).toThrow(
      refused,
    );
    expect(() => TagPrefilter.fromShared(new Uint32Array(16), 10)).toThrow(refused); // not shared memory
    const small = new TagList();
    const large = new TagList();
    for (let i = 0; i < 100_000; i++) large.add(i * 7919, i);
    for (let i = 0; i < 100; i++) small.add(i, i);
    const smallSet = small.toSet();
    const largeSet = large.toSet();
    largeSet.addPrefilter();
    const mixed = { ...smallSet.shared(), prefilter: largeSet.shared().prefilter };
    expect(() => TagSet.fromShared(mixed)).toThrow(refused);
  });
});

describe("writeBands", () => {
  it("writes the band tags forEachBand gives for the same row", () => {
    const next = stream(5);
    const values = new ShingleValues(LEVELS.map((l) => l.bands));
    const pool = Array.from({ length: 400 }, () => [next(), next()] as const);
    const out = new Uint32Array(2 * 16);
    let compared = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const level = trial % 2;
      const n = next() % 14;
      const row = new RowValues();
      const at = new Int32Array(n + 3);
      const from = 3; // records start past an offset, as a scan's per-level lists do
      let count = 0;
      for (let i = 0; i < n; i++) {
        const [lo, hi] = pool[next() % pool.length]!;
        const before = row.count;
        row.add(lo, hi);
        if (row.count > before) at[from + count++] = values.intern(level, lo, hi);
      }
      const expected: number[] = [];
      forEachBand(row, LEVELS[level]!, level, (lo, hi) => expected.push(lo >>> 0, hi >>> 0));
      const written = writeBands(at, from, count, values.data, LEVELS[level]!, level, out, 1);
      expect(written * 2).toBe(expected.length);
      expect([...out.subarray(2, 2 + written * 2)]).toEqual(expected);
      compared += written;
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it("breaks rank ties as forEachBandRanked does (the earlier value), at three and four values a band", () => {
    const next = stream(9);
    const levels: ShingleLevel[] = [
      { sig: 3, bands: 4, valuesPerBand: 4, maxValueShare: 0.02 },
      { sig: 2, bands: 3, valuesPerBand: 3, maxValueShare: 0.05 },
    ];
    const values = new ShingleValues(levels.map((l) => l.bands));
    const out = new Uint32Array(2 * 16);
    let compared = 0;
    let ties = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const level = trial % 2;
      const { bands } = levels[level]!;
      const n = 3 + (next() % 12);
      const row = new RowValues();
      const at = new Int32Array(n + 2);
      const from = 2;
      const ranks = new Int32Array(n * bands);
      for (let i = 0; i < n; i++) {
        const lo = next();
        const hi = trial % 5 === 0 ? 7 : next(); // some rows share the high word: order by the low one
        row.add(lo, hi);
        const record = values.intern(level, lo, hi);
        at[from + i] = record;
        for (let band = 0; band < bands; band++) {
          // Ranks from a handful of values, negative ones too: ties everywhere.
          const rank = (next() % 5) - 2;
          values.data[record + RECORD_RANKS + band] = rank;
          ranks[i * bands + band] = rank;
        }
      }
      for (let i = 0; i < n; i++)
        for (let j = 0; j < i; j++) if (ranks[i * bands] === ranks[j * bands]) ties++;
      const expected: number[] = [];
      forEachBandRanked(row, ranks, levels[level]!, level, (lo, hi) => expected.push(lo >>> 0, hi >>> 0));
      const written = writeBands(at, from, n, values.data, levels[level]!, level, out, 0);
      expect(written * 2).toBe(expected.length);
      expect([...out.subarray(0, written * 2)]).toEqual(expected);
      compared += written;
    }
    expect(compared).toBeGreaterThan(5000);
    expect(ties).toBeGreaterThan(1000);
  });
});
