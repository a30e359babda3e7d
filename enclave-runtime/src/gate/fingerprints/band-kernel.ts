/**
 * The band kernel (runs inside the TEE): a WebAssembly module (enclave-runtime/assembly/band-kernel.ts)
 * that computes the band tags of shingle levels of four or five values a band (the default levels),
 * four bands at a time with SIMD. A scan's shingle records (shingle-values.ts) live in the kernel's
 * memory; the scanner queues rows (the record offsets of their distinct values) and drains the queue
 * into its band queries once a chunk. Bands the kernel reports as ties are computed again by
 * writeBand, so the tags are always the definition's.
 * A scan takes the thread's spare kernel (takeBandKernel) and gives it back when it finishes
 * (releaseBandKernel): a fresh WebAssembly memory per scan cost page faults, and, as memories are
 * freed only by a full garbage collection, allocating them soon forced one (tens of ms with an index
 * loaded). A kernel holds one scan's records at a time; what a kept one still holds of the last scan
 * are keyed tags and their ranks, never a cell's text.
 */
import { BAND_KERNEL_WASM_BASE64 } from "./generated/band-kernel";
import { bandDomain, writeBand } from "./shingles";

/** Where drained tags go: (lo, hi) pairs and the row of each, from `count` on (the scanner's BandQueries). */
export interface BandTagSink {
  tags: Uint32Array;
  rows: Uint32Array;
  count: number;
  /** Makes room for `more` tags after the first `count`. */
  reserve(more: number): void;
}

/** Whether the kernel computes the bands of a level of `valuesPerBand` values a band. */
export function kernelTakes(valuesPerBand: number): boolean {
  return valuesPerBand === 4 || valuesPerBand === 5;
}

/** Record offsets the queue holds: a row with more cells than this over its levels is done without it. */
export const MAX_QUEUED_OFFSETS = 1 << 18;
/** Rows and tags the queue holds (a chunk of a scan is some 7,000 rows, 28,000 tags at the default levels). */
const MAX_QUEUED_ROWS = 1 << 14;
const MAX_QUEUED_TAGS = 1 << 16;
const ROW_WORDS = 4;
/** Bands a level may have (fingerprintParamsSchema); a row's descriptor holds them in 8 bits. */
const MAX_BANDS = 32;
const TIE_WORDS = 3;

// Byte layout of the memory. The first page stays unused (the module has no data segment or stack; one
// a later compiler added would land there), the queue has fixed places, and the records come last, so
// that growing them moves nothing.
const PAGE = 65536;
const OFFSETS_AT = PAGE;
const ROWS_AT = OFFSETS_AT + 4 * MAX_QUEUED_OFFSETS;
const TAGS_AT = ROWS_AT + 4 * ROW_WORDS * MAX_QUEUED_ROWS;
const TAG_ROWS_AT = TAGS_AT + 8 * MAX_QUEUED_TAGS;
const TIES_AT = TAG_ROWS_AT + 4 * MAX_QUEUED_TAGS;
const RECORDS_AT = TIES_AT + 4 * TIE_WORDS * MAX_QUEUED_TAGS;
/** The kernel reads a record's ranks 16 bytes at a time, so it may read up to 12 bytes past the last record. */
const READ_SLACK = 16;
/** A kernel whose memory grew past this is not kept (a 10 MB output of cohort rows leaves 2.9 MiB). */
const MAX_KEPT_BYTES = 16 << 20;

type BandTags = (
  data: number,
  offsets: number,
  rows: number,
  rowCount: number,
  tags: number,
  tagRows: number,
  ties: number,
) => number;

/** What the kernel uses of the WebAssembly JS API (Node has it all; the TypeScript libs here declare none). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;
let spare: BandKernel | null = null;

/** Compiled once per thread (the scan's worker threads each have their own). */
function kernelModule(): object {
  compiled ??= new wasm.Module(Buffer.from(BAND_KERNEL_WASM_BASE64, "base64"));
  return compiled;
}

export class BandKernel {
  readonly #memory: WasmMemory;
  readonly #bandTags: BandTags;
  /** Shingle records, as word offsets from the records' base. Renewed when the memory grows. */
  records!: Int32Array;
  /** Queued rows' record offsets; the next row's go from `offsetCount` on. Renewed with records. */
  offsets!: Int32Array;
  offsetCount = 0;
  #rows!: Int32Array;
  #tags!: Uint32Array;
  #tagRows!: Uint32Array;
  #ties!: Int32Array;
  #rowCount = 0;
  #tagCount = 0;

  /** A kernel with room for `recordWords` words of records. */
  constructor(recordWords: number) {
    this.#memory = new wasm.Memory({ initial: pagesFor(recordWords) });
    const instance = new wasm.Instance(kernelModule(), { env: { memory: this.#memory } });
    this.#bandTags = instance.exports.bandTags as BandTags;
    this.#views();
  }

  /** Makes room for `words` words of records; records and queue keep their contents. */
  growRecords(words: number): void {
    const pages = pagesFor(words) - this.#memory.buffer.byteLength / PAGE;
    if (pages <= 0) return;
    this.#memory.grow(pages);
    this.#views();
  }

  /** Empties the queue (the records are the new owner's to overwrite). */
  reset(): void {
    this.offsetCount = 0;
    this.#rowCount = 0;
    this.#tagCount = 0;
  }

  get byteLength(): number {
    return this.#memory.buffer.byteLength;
  }

  /** Whether the queue has room for `offsets` more record offsets, `rows` more rows and `tags` more tags. */
  hasRoom(offsets: number, rows: number, tags: number): boolean {
    return (
      this.offsetCount + offsets <= MAX_QUEUED_OFFSETS &&
      this.#rowCount + rows <= MAX_QUEUED_ROWS &&
      this.#tagCount + tags <= MAX_QUEUED_TAGS
    );
  }

  /**
   * Queues a row of level `levelIndex` (r values a band, kernelTakes(r); `bands` bands): its n >= r
   * distinct values' record offsets are offsets[from, from + n); `row` is the number its tags carry.
   * The caller checks hasRoom first and moves offsetCount past the offsets it wrote. A row the kernel
   * cannot take is refused: it would read it as one of another size and write wrong tags.
   */
  queue(from: number, n: number, row: number, levelIndex: number, r: number, bands: number): void {
    if (!kernelTakes(r) || n < r || bands < 1 || bands > MAX_BANDS) {
      throw new RangeError(`the band kernel takes no row of ${n} values, ${r} a band, ${bands} bands`);
    }
    const at = this.#rowCount * ROW_WORDS;
    const rows = this.#rows;
    rows[at] = from;
    rows[at + 1] = n;
    rows[at + 2] = row;
    rows[at + 3] = (bandDomain(levelIndex) << 12) | (r << 8) | bands;
    this.#rowCount++;
    this.#tagCount += bands;
  }

  /**
   * Computes the queued rows' band tags, appends them to `sink`, and empties the queue. Returns how
   * many bands were ties the kernel left to writeBand.
   */
  drainInto(sink: BandTagSink): number {
    if (this.#rowCount === 0) {
      this.offsetCount = 0;
      return 0;
    }
    const ties = this.#bandTags(
      RECORDS_AT,
      OFFSETS_AT,
      ROWS_AT,
      this.#rowCount,
      TAGS_AT,
      TAG_ROWS_AT,
      TIES_AT,
    );
    for (let t = 0; t < ties; t++) {
      const q = this.#ties[TIE_WORDS * t]!;
      const row = this.#ties[TIE_WORDS * t + 1]! * ROW_WORDS;
      const band = this.#ties[TIE_WORDS * t + 2]!;
      const from = this.#rows[row]!;
      const n = this.#rows[row + 1]!;
      const r = (this.#rows[row + 3]! >> 8) & 0xf;
      const domain = this.#rows[row + 3]! >> 12;
      writeBand(this.offsets, from, n, this.records, r, domain, band, this.#tags, q);
    }
    const count = this.#tagCount;
    sink.reserve(count);
    sink.tags.set(this.#tags.subarray(0, 2 * count), 2 * sink.count);
    sink.rows.set(this.#tagRows.subarray(0, count), sink.count);
    sink.count += count;
    this.reset();
    return ties;
  }

  #views(): void {
    const buffer = this.#memory.buffer;
    this.records = new Int32Array(buffer, RECORDS_AT, (buffer.byteLength - RECORDS_AT - READ_SLACK) >> 2);
    this.offsets = new Int32Array(buffer, OFFSETS_AT, MAX_QUEUED_OFFSETS);
    this.#rows = new Int32Array(buffer, ROWS_AT, ROW_WORDS * MAX_QUEUED_ROWS);
    this.#tags = new Uint32Array(buffer, TAGS_AT, 2 * MAX_QUEUED_TAGS);
    this.#tagRows = new Uint32Array(buffer, TAG_ROWS_AT, MAX_QUEUED_TAGS);
    this.#ties = new Int32Array(buffer, TIES_AT, TIE_WORDS * MAX_QUEUED_TAGS);
  }
}

/** A kernel for a new scan, with room for `recordWords` words of records: the thread's spare one, or a new one. */
export function takeBandKernel(recordWords: number): BandKernel {
  const kernel = spare ?? new BandKernel(recordWords);
  spare = null;
  kernel.reset();
  kernel.growRecords(recordWords);
  return kernel;
}

/** Gives a finished scan's kernel back for the thread's next scan; the scan must not use it again. */
export function releaseBandKernel(kernel: BandKernel): void {
  if (kernel.byteLength > MAX_KEPT_BYTES) return;
  kernel.reset();
  spare = kernel;
}

/** Pages of memory for `recordWords` words of records after the queue, with the read slack. */
function pagesFor(recordWords: number): number {
  return Math.ceil((RECORDS_AT + 4 * recordWords + READ_SLACK) / PAGE);
}
