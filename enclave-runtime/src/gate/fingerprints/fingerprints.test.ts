/**
 * Tests of the fingerprint index (runs in Node under vitest): normalization, the tag set, build,
 * serialize/deserialize round trip, and the refusal of a wrong key or corrupt bytes.
 */
import { createHash } from "node:crypto";
import { LONGEVITY_COHORT_SCHEMA } from "@cce4long/protocol/datasets/longevity-cohort";
import { describe, expect, it } from "vitest";
import { asGrid, FIXTURE_KEY, FIXTURE_ROWS, fixtureIndex, select } from "../test-support/cohort-fixture";
import { MAX_QUEUED_OFFSETS } from "./band-kernel";
import { buildFingerprintIndex } from "./build";
import { CellTagger } from "./cell-tagger";
import { FingerprintKey } from "./prf";
import { LeakageScanner, scanForLeakage } from "./scan";
import { deserializeFingerprintIndex, serializeFingerprintIndex } from "./serialize";
import { TagList } from "./tag-set";

function exactTag(raw: string): string {
  const tagger = new CellTagger(new FingerprintKey(FIXTURE_KEY), [2]);
  const i = tagger.add(raw);
  tagger.flush();
  const b = tagger.exact[i]!;
  return b < 0 ? "empty" : `${tagger.tags[4 * b]}:${tagger.tags[4 * b + 1]}`;
}

function roundedTag(raw: string, sig: number): string {
  const tagger = new CellTagger(new FingerprintKey(FIXTURE_KEY), [sig]);
  const i = tagger.add(raw);
  tagger.flush();
  const b = tagger.levels[i]!;
  return `${tagger.tags[4 * b]}:${tagger.tags[4 * b + 1]}`;
}

describe("normalization", () => {
  it("treats spellings of one value as one value", () => {
    expect(exactTag("63")).toBe(exactTag(" 63.0 "));
    expect(exactTag("63")).toBe(exactTag("6.3e1"));
    expect(exactTag("Jane  SMITH")).toBe(exactTag(" jane smith"));
    expect(exactTag("1956-03-14")).toBe(exactTag("14/03/1956"));
    expect(exactTag("1956-03-14")).toBe(exactTag("1956/03/14T00:00:00Z"));
    expect(exactTag("1956-03-14")).toBe(exactTag("03/14/1956")); // month first when day first is impossible
  });

  it("keeps different values apart", () => {
    expect(exactTag("63")).not.toBe(exactTag("63.1"));
    expect(exactTag("63")).not.toBe(exactTag("x63"));
    expect(exactTag("1956-03-14")).not.toBe(exactTag("1956-03-15"));
    expect(exactTag("2021-02-30")).not.toBe(exactTag("2021-03-02")); // not a date: kept as text
  });

  it("rounds numbers to significant digits for shingles", () => {
    expect(roundedTag("3.47", 2)).toBe(roundedTag("3.5", 2));
    expect(roundedTag("87.3", 2)).toBe(roundedTag("87", 2));
    expect(roundedTag("9.96", 2)).toBe(roundedTag("10", 2));
    expect(roundedTag("3.47", 3)).not.toBe(roundedTag("3.5", 3));
  });

  it("treats missing-value markers as empty", () => {
    for (const v of ["", "  ", "NA", "null", "NaN", "None"]) expect(exactTag(v)).toBe("empty");
  });

  it("error: a fingerprint key of the wrong length", () => {
    expect(() => new FingerprintKey(new Uint8Array(16))).toThrow(/32 bytes/);
  });
});

describe("TagSet", () => {
  it("finds every member and rejects non-members", () => {
    const list = new TagList();
    for (let i = 0; i < 5000; i++) list.add(Math.imul(i, 0x9e3779b1) >>> 0, Math.imul(i, 0x85ebca6b) >>> 0);
    list.add(7, 7);
    list.add(7, 7);
    const set = list.toSet();
    expect(set.size).toBe(5001);
    for (let i = 0; i < 5000; i++)
      expect(set.has(Math.imul(i, 0x9e3779b1), Math.imul(i, 0x85ebca6b))).toBe(true);
    expect(set.has(7, 7)).toBe(true);
    expect(set.has(8, 7)).toBe(false);
    expect(set.has(0xffffffff, 0xffffffff)).toBe(false);
  });
});

describe("fingerprint index", () => {
  it("indexes rare identifiers, rare combinations and shingles of the cohort", () => {
    const index = fixtureIndex();
    expect(index.stats.rows).toBe(FIXTURE_ROWS.length);
    expect(index.stats.identifierColumns).toContain("full_name");
    expect(index.stats.shingleColumns).toContain("crp_mg_l");
    expect(index.stats.shingleColumns).not.toContain("participant_id");
    expect(index.sets.identifiers.size).toBeGreaterThan(FIXTURE_ROWS.length * 3);
    expect(index.sets.rareCombos.size).toBeGreaterThan(0);
    expect(index.sets.bands.size).toBeGreaterThan(FIXTURE_ROWS.length);
  });

  it("round-trips through bytes and scans the same", () => {
    const index = fixtureIndex();
    const bytes = serializeFingerprintIndex(index);
    expect(bytes.length).toBe(index.byteLength + (bytes.length - index.byteLength));
    const back = deserializeFingerprintIndex(bytes, FIXTURE_KEY);
    expect(back.stats).toEqual(index.stats);
    expect(back.params).toEqual(index.params);
    for (const name of Object.keys(index.sets) as (keyof typeof index.sets)[]) {
      expect(back.sets[name].tags).toEqual(index.sets[name].tags);
    }
    const grid = select(asGrid(FIXTURE_ROWS.slice(0, 50)), [
      "full_name",
      "bmi",
      "crp_mg_l",
      "hba1c_mmol_mol",
      "albumin_g_l",
      "creatinine_umol_l",
      "epigenetic_clock_age",
    ]);
    const table = { header: grid[0]!, rows: grid.slice(1) };
    expect(scanForLeakage(back, table)).toEqual(scanForLeakage(index, table));
    expect(serializeFingerprintIndex(back)).toEqual(bytes);
  });

  it("builds the same bytes as the first version of the format, so stored indexes stay valid", () => {
    // SHA-256 of the fixture's serialized index, built by the code that introduced C4LGFP01. If the
    // normalization, PRF, min-hash or fold changes, stored indexes would silently match nothing.
    const digest = createHash("sha256").update(serializeFingerprintIndex(fixtureIndex())).digest("hex");
    expect(digest).toBe("bc51ea40f6c64d7ecddbe196bda2135cc004d1379f0bfb1e4b2510dae5deeac5");
  });

  it("finds copied rows with one, two or three shingle levels (two, the default, has its own row loop)", () => {
    const indexed = FIXTURE_ROWS.slice(0, 400);
    const other = FIXTURE_ROWS.slice(2000, 2400);
    const attributes = (rows: typeof indexed) => {
      const grid = asGrid(rows);
      return select(grid, grid[0]!.slice(10)).slice(1); // attribute columns only, no header
    };
    const level = (sig: number, valuesPerBand: number) => ({
      sig,
      bands: 4,
      valuesPerBand,
      maxValueShare: 0.05,
    });
    for (const levels of [
      [level(3, 4)],
      [level(3, 4), level(2, 5)],
      [level(3, 4), level(2, 5), level(1, 6)],
    ]) {
      const index = buildFingerprintIndex({
        datasetKey: FIXTURE_KEY,
        schema: LONGEVITY_COHORT_SCHEMA,
        rows: indexed,
        params: { levels },
      });
      const copied = scanForLeakage(index, { rows: attributes(indexed) });
      const unrelated = scanForLeakage(index, { rows: attributes(other) });
      expect(copied.matchedRows.count).toBeGreaterThan(0.85 * indexed.length);
      expect(copied.strongMatchedRows).toBeGreaterThan(0.5 * indexed.length);
      expect(unrelated.matchedRows.count).toBeLessThan(0.05 * other.length);
    }
  });

  it("finds a copied row padded with empty cells, in the band kernel's queue or, too big for it, apart", () => {
    const index = fixtureIndex();
    const grid = asGrid(FIXTURE_ROWS.slice(0, 40));
    const rows = select(grid, grid[0]!.slice(10)).slice(1); // attribute columns only
    const plain = scanForLeakage(index, { rows });
    expect(plain.matchedRows.count).toBeGreaterThan(30);
    // An empty cell is no shingle value: padding leaves each row's values and so its bands as they
    // were. 70,000 cells over two levels fit the queue; 140,000 do not.
    for (const padding of [70_000, MAX_QUEUED_OFFSETS / 2 + 1]) {
      const padded = rows.map((row, r) =>
        r % 10 === 0 ? [...row, ...Array<string>(padding).fill("")] : row,
      );
      const scan = scanForLeakage(index, { rows: padded });
      expect(scan.matchedRows).toEqual(plain.matchedRows);
      expect(scan.strongMatchedRows).toBe(plain.strongMatchedRows);
    }
  });

  it("error: a scanner used after it finished (its kernel has gone to the next scan)", () => {
    const scanner = new LeakageScanner(fixtureIndex());
    scanner.stringCell("x");
    scanner.endRow();
    expect(scanner.finish().rows).toBe(1);
    expect(() => scanner.finish()).toThrow(/finished/);
    scanner.stringCell("y");
    expect(() => scanner.endRow()).toThrow(/finished/);
  });

  it("error: loading under another key", () => {
    const bytes = serializeFingerprintIndex(fixtureIndex());
    expect(() => deserializeFingerprintIndex(bytes, new Uint8Array(32).fill(9))).toThrow(/another key/);
  });

  it("error: corrupt bytes (magic, truncation, header, tag order)", () => {
    const bytes = serializeFingerprintIndex(fixtureIndex());
    const badMagic = bytes.slice();
    badMagic[0] = 0;
    expect(() => deserializeFingerprintIndex(badMagic, FIXTURE_KEY)).toThrow(/magic/);
    expect(() => deserializeFingerprintIndex(bytes.subarray(0, bytes.length - 8), FIXTURE_KEY)).toThrow(
      /expected/,
    );
    expect(() => deserializeFingerprintIndex(bytes.subarray(0, 20), FIXTURE_KEY)).toThrow(/corrupt/);
    const badHeader = bytes.slice();
    badHeader[12] = 0x7b + 1;
    expect(() => deserializeFingerprintIndex(badHeader, FIXTURE_KEY)).toThrow(/corrupt/);
    const reordered = bytes.slice();
    const tail = reordered.length - 16; // swap the last two tags of the last set
    const a = reordered.slice(tail, tail + 8);
    reordered.copyWithin(tail, tail + 8, tail + 16);
    reordered.set(a, tail + 8);
    expect(() => deserializeFingerprintIndex(reordered, FIXTURE_KEY)).toThrow(/out of order/);
  });

  it("error: rows that can be read only once", () => {
    function* once() {
      yield* FIXTURE_ROWS.slice(0, 20);
    }
    expect(() =>
      buildFingerprintIndex({ datasetKey: FIXTURE_KEY, schema: LONGEVITY_COHORT_SCHEMA, rows: once() }),
    ).toThrow(/read twice/);
  });

  it("gives unrelated tags under another key", () => {
    const rows = FIXTURE_ROWS.slice(0, 200);
    const build = (key: Uint8Array) =>
      buildFingerprintIndex({ datasetKey: key, schema: LONGEVITY_COHORT_SCHEMA, rows });
    const a = build(FIXTURE_KEY);
    const b = build(new Uint8Array(32).fill(5));
    expect(a.sets.identifiers.size).toBe(b.sets.identifiers.size);
    const inA = new Set(a.sets.identifiers.tags);
    expect([...b.sets.identifiers.tags].filter((t) => inA.has(t))).toEqual([]);
    expect(build(FIXTURE_KEY).sets.bands.tags).toEqual(a.sets.bands.tags);
  });
});
