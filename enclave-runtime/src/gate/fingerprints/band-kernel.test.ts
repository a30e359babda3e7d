/**
 * Tests of the band kernel (runs in Node under vitest): the WebAssembly kernel's band tags checked
 * against the definition ingest stores (forEachBand, forEachBandRanked of shingles.ts) at four and
 * five values a band, for any band count and level, through rank and order ties, rows of tens of
 * thousands of values, memory growth while rows wait in the queue and a queue filled to its limits;
 * then the kernel's reuse from scan to scan, and the rows it refuses.
 */
import { describe, expect, it } from "vitest";
import { stream } from "../test-support/random-stream";
import { type BandTagSink, MAX_QUEUED_OFFSETS, releaseBandKernel, takeBandKernel } from "./band-kernel";
import type { ShingleLevel } from "./params";
import { ShingleValues } from "./shingle-values";
import { forEachBand, forEachBandRanked, RECORD_RANKS, RowValues } from "./shingles";

/** A growable sink, as the scanner's band queries are. */
class Sink implements BandTagSink {
  tags = new Uint32Array(8);
  rows = new Uint32Array(4);
  count = 0;

  reserve(more: number): void {
    if (this.count + more <= this.rows.length) return;
    const n = Math.max(this.rows.length * 2, this.count + more);
    const tags = new Uint32Array(2 * n);
    tags.set(this.tags);
    this.tags = tags;
    const rows = new Uint32Array(n);
    rows.set(this.rows);
    this.rows = rows;
  }

  /** The (lo, hi) tags of row `row`, in the order they were drained. */
  tagsOf(row: number): number[] {
    const out: number[] = [];
    for (let q = 0; q < this.count; q++)
      if (this.rows[q] === row) out.push(this.tags[2 * q]!, this.tags[2 * q + 1]!);
    return out;
  }
}

const level = (bands: number, valuesPerBand = 4): ShingleLevel => ({
  sig: 3,
  bands,
  valuesPerBand,
  maxValueShare: 0.02,
});

/**
 * Queues a row (its distinct values' records, in row order) in the values' kernel as row `row`, as
 * the scanner does; false when the queue has no room for it.
 */
function queueRow(
  values: ShingleValues,
  records: readonly number[],
  row: number,
  levelIndex: number,
  { valuesPerBand, bands }: ShingleLevel,
): boolean {
  const kernel = values.kernel;
  if (!kernel.hasRoom(records.length, 1, bands)) return false;
  const from = kernel.offsetCount;
  kernel.offsets.set(records, from);
  kernel.offsetCount = from + records.length;
  kernel.queue(from, records.length, row, levelIndex, valuesPerBand, bands);
  return true;
}

describe("band kernel", () => {
  it("gives forEachBand's tags at four and five values a band, for every band count from 1 to 32 and every level", () => {
    const next = stream(21);
    for (const bands of [1, 2, 3, 4, 5, 7, 8, 13, 32]) {
      const levels = [0, 1, 2, 3].map((l) => level(bands, 4 + (l % 2)));
      const values = new ShingleValues(levels.map((l) => l.bands));
      const pool = Array.from({ length: 300 }, () => [next(), next()] as const);
      const sink = new Sink();
      const expected = new Map<number, number[]>();
      for (let row = 0; row < 400; row++) {
        const levelIndex = row % 4;
        const rowValues = new RowValues();
        const n = levels[levelIndex]!.valuesPerBand + (next() % 20);
        while (rowValues.count < n) {
          const [lo, hi] = pool[next() % pool.length]!;
          rowValues.add(lo, hi);
        }
        const records = Array.from({ length: n }, (_, i) =>
          values.intern(levelIndex, rowValues.los[i]!, rowValues.his[i]!),
        );
        const want: number[] = [];
        forEachBand(rowValues, levels[levelIndex]!, levelIndex, (lo, hi) => want.push(lo >>> 0, hi >>> 0));
        expected.set(row, want);
        expect(queueRow(values, records, row, levelIndex, levels[levelIndex]!)).toBe(true);
        if (row % 97 === 96) values.kernel.drainInto(sink);
      }
      values.kernel.drainInto(sink);
      expect(sink.count).toBe(400 * bands);
      for (const [row, want] of expected) expect(sink.tagsOf(row)).toEqual(want);
    }
  });

  it("breaks rank ties as the definition does (the earlier value), and orders tags that share a high word", () => {
    const next = stream(9);
    const levels = [level(4), level(4, 5)];
    const values = new ShingleValues([4, 4]);
    const sink = new Sink();
    const expected = new Map<number, number[]>();
    let rankTies = 0;
    let kernelTies = 0;
    for (let row = 0; row < 3000; row++) {
      const levelIndex = row % 2;
      const n = 5 + (next() % 12);
      const rowValues = new RowValues();
      const ranks = new Int32Array(n * 4);
      const records: number[] = [];
      for (let i = 0; i < n; i++) {
        const lo = next();
        const hi = row % 5 === 0 ? 7 : next(); // some rows share the high word: order by the low one
        rowValues.add(lo, hi);
        const record = values.intern(levelIndex, lo, hi);
        records.push(record);
        for (let band = 0; band < 4; band++) {
          // Ranks from a handful of values, negative ones too: ties everywhere.
          const rank = (next() % 5) - 2;
          values.data[record + RECORD_RANKS + band] = rank;
          ranks[i * 4 + band] = rank;
        }
      }
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (ranks[i * 4] === ranks[j * 4]) rankTies++;
      const want: number[] = [];
      forEachBandRanked(rowValues, ranks, levels[levelIndex]!, levelIndex, (lo, hi) =>
        want.push(lo >>> 0, hi >>> 0),
      );
      expected.set(row, want);
      expect(queueRow(values, records, row, levelIndex, levels[levelIndex]!)).toBe(true);
      if (row % 500 === 499) kernelTies += values.kernel.drainInto(sink);
    }
    kernelTies += values.kernel.drainInto(sink);
    expect(rankTies).toBeGreaterThan(1000);
    expect(kernelTies).toBeGreaterThan(1000);
    for (const [row, want] of expected) expect(sink.tagsOf(row)).toEqual(want);
  });

  it("gives the definition's tags when ranks differ only in their low bits, high words pair up but for the last bit, and rows hold 70,000 values", () => {
    // The kernel keeps a rank's top bits only (the rest holds the value's position) and sorts on
    // h >>> 1: each of these makes bands it must hand back as ties. High words from six such pairs
    // put the equal h >>> 1 at every place of the sorted four or five.
    const next = stream(13);
    const levels = [level(4), level(4, 5)];
    const values = new ShingleValues([4, 4]);
    const sink = new Sink();
    const expected = new Map<number, number[]>();
    let kernelTies = 0;
    for (let row = 0; row < 1500; row++) {
      const levelIndex = row % 2;
      const n = row % 500 < 2 ? 70_000 : 5 + (next() % 20);
      // Filled directly (random words: no repeats to drop), as RowValues.add is quadratic.
      const rowValues = new RowValues();
      rowValues.los = new Uint32Array(n);
      rowValues.his = new Uint32Array(n);
      rowValues.count = n;
      const ranks = new Int32Array(n * 4);
      const records: number[] = [];
      const base = (next() | 0) & ~0xfff;
      for (let i = 0; i < n; i++) {
        const lo = next();
        const hi = row % 3 === 0 ? 2 * (next() % 6) + (next() % 2) : next();
        rowValues.los[i] = lo;
        rowValues.his[i] = hi;
        const record = values.intern(levelIndex, lo, hi);
        records.push(record);
        for (let band = 0; band < 4; band++) {
          const rank = row % 4 < 2 ? base + (next() % 0x1000) : next() | 0;
          values.data[record + RECORD_RANKS + band] = rank;
          ranks[i * 4 + band] = rank;
        }
      }
      const want: number[] = [];
      forEachBandRanked(rowValues, ranks, levels[levelIndex]!, levelIndex, (lo, hi) =>
        want.push(lo >>> 0, hi >>> 0),
      );
      expected.set(row, want);
      if (!values.kernel.hasRoom(n, 1, 4)) kernelTies += values.kernel.drainInto(sink);
      expect(queueRow(values, records, row, levelIndex, levels[levelIndex]!)).toBe(true);
    }
    kernelTies += values.kernel.drainInto(sink);
    expect(kernelTies).toBeGreaterThan(100);
    expect(sink.count).toBe(1500 * 4);
    for (const [row, want] of expected) expect(sink.tagsOf(row)).toEqual(want);
  });

  it("keeps queued rows through the records' growth (the memory grows, its views are renewed)", () => {
    const next = stream(33);
    const values = new ShingleValues([4]);
    const rows: RowValues[] = [];
    for (let row = 0; row < 50; row++) {
      const rowValues = new RowValues();
      while (rowValues.count < 9) rowValues.add(next(), next());
      const records = Array.from({ length: 9 }, (_, i) =>
        values.intern(0, rowValues.los[i]!, rowValues.his[i]!),
      );
      expect(queueRow(values, records, row, 0, level(4))).toBe(true);
      rows.push(rowValues);
    }
    const before = values.data.length;
    for (let i = 0; i < 200_000; i++) values.intern(0, next(), next());
    expect(values.data.length).toBeGreaterThan(before);
    const sink = new Sink();
    values.kernel.drainInto(sink);
    for (const [row, rowValues] of rows.entries()) {
      const want: number[] = [];
      forEachBand(rowValues, level(4), 0, (lo, hi) => want.push(lo >>> 0, hi >>> 0));
      expect(sink.tagsOf(row)).toEqual(want);
    }
  });

  it("says when the queue is full, appends after what the sink holds, and starts empty again", () => {
    const values = new ShingleValues([4]);
    const kernel = values.kernel;
    expect(kernel.hasRoom(MAX_QUEUED_OFFSETS, 1, 4)).toBe(true);
    expect(kernel.hasRoom(MAX_QUEUED_OFFSETS + 1, 1, 4)).toBe(false);
    const records = Array.from({ length: 4 }, (_, i) => values.intern(0, i + 1, 0x10000 * (i + 1)));
    let queued = 0;
    while (queueRow(values, records, queued, 0, level(4))) queued++;
    // Rows or tags run out before offsets: 4 offsets and 4 tags a row.
    expect(queued).toBe(1 << 14);
    const sink = new Sink();
    sink.reserve(1);
    sink.tags[0] = 0xdead;
    sink.rows[0] = 99_999;
    sink.count = 1;
    expect(kernel.drainInto(sink)).toBe(0);
    expect(sink.count).toBe(1 + 4 * queued);
    expect(sink.tags[0]).toBe(0xdead);
    expect(sink.rows[4 * queued]).toBe(queued - 1);
    // Every row held the same values: the same four tags each.
    expect(sink.tagsOf(0)).toEqual(sink.tagsOf(queued - 1));
    expect(kernel.offsetCount).toBe(0);
    expect(kernel.hasRoom(MAX_QUEUED_OFFSETS, 1 << 14, 1 << 16)).toBe(true);
    expect(kernel.drainInto(sink)).toBe(0);
    expect(sink.count).toBe(1 + 4 * queued);
  });

  it("error: a row the kernel cannot take (another size, fewer values than a band, too many bands)", () => {
    const kernel = new ShingleValues([4]).kernel;
    expect(() => kernel.queue(0, 9, 0, 0, 6, 4)).toThrow(RangeError);
    expect(() => kernel.queue(0, 9, 0, 0, 3, 4)).toThrow(RangeError);
    expect(() => kernel.queue(0, 4, 0, 0, 5, 4)).toThrow(RangeError);
    expect(() => kernel.queue(0, 9, 0, 0, 4, 0)).toThrow(RangeError);
    expect(() => kernel.queue(0, 9, 0, 0, 4, 33)).toThrow(RangeError);
    // Nothing was queued.
    const sink = new Sink();
    expect(kernel.drainInto(sink)).toBe(0);
    expect(sink.count).toBe(0);
  });

  it("passes a finished scan's kernel to the next scan, empty, and refuses the finished values", () => {
    const first = new ShingleValues([4]);
    const record = first.intern(0, 1, 0x10000);
    first.kernel.offsets[0] = record;
    first.kernel.offsetCount = 1;
    first.release();
    expect(() => first.intern(0, 2, 0x20000)).toThrow(/after their scan finished/);
    const second = new ShingleValues([4]);
    expect(second.kernel).toBe(first.kernel);
    expect(second.kernel.offsetCount).toBe(0);
    // The second scan's records start over.
    expect(second.intern(0, 3, 0x30000)).toBe(record);
    // Two scans at once in a thread get two kernels.
    const third = new ShingleValues([4]);
    expect(third.kernel).not.toBe(second.kernel);
  });

  it("does not keep a kernel whose memory grew past 16 MiB", () => {
    const kernel = takeBandKernel(1024);
    kernel.growRecords(4 << 20); // 16 MiB of records, and the queue
    releaseBandKernel(kernel);
    const next = takeBandKernel(1024);
    expect(next).not.toBe(kernel);
    releaseBandKernel(next);
    expect(takeBandKernel(1024)).toBe(next);
  });
});
