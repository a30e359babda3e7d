/**
 * The distinct cell values of one output being scanned (runs inside the TEE). Outputs repeat values
 * endlessly (a CRP of 2.34 appears thousands of times), so each distinct raw cell is normalized,
 * encrypted and looked up in the index once: a cell costs one probe of a small table that stays in
 * cache, instead of a parse, an AES block per level and four lookups in a set of millions of tags.
 */
import { ByteKeys } from "./byte-keys";
import type { FingerprintIndex } from "./fingerprint-index";
import { CELL_EMPTY, CELL_NUMBER, cell, parseCell, writeExactBlock, writeRoundedBlock } from "./normalize";
import { BlockBatch } from "./prf";
import { NO_SHINGLE_VALUE, ShingleValues } from "./shingle-values";

/** Flags of a value: its exact tag is a rare identifier value, a quasi-identifier value. */
export const FLAG_IDENTIFIER = 1;
export const FLAG_QI = 2;
/** Level l's tag of the value is a shingle value of the index: FLAG_SHINGLE << l. */
export const FLAG_SHINGLE = 4;

/** Layout of a value's record in ValueTable.info. */
export const INFO_FLAGS = 0;
export const INFO_EXACT_LO = 1;
export const INFO_EXACT_HI = 2;
export const INFO_SHINGLES = 3;
const INITIAL_VALUES = 1024;
const utf8 = new TextDecoder();

export class ValueTable {
  readonly #index: FingerprintIndex;
  readonly #sigs: number[];
  readonly #levels: number;
  readonly #batch = new BlockBatch();

  count = 0;
  /**
   * One record per value, so what a row reads of a value is one cache line:
   * info[id * width + INFO_FLAGS], INFO_EXACT_LO, INFO_EXACT_HI (its exact tag), then from
   * INFO_SHINGLES one word per level: the record offset of its level tag in `shingles` when that tag
   * is a shingle value of the index, else NO_SHINGLE_VALUE.
   */
  info: Int32Array;
  readonly width: number;
  readonly shingles: ShingleValues;

  /** Values added since the last flush: their ids and block numbers (exact, then one per level). */
  #pendingIds: number[] = [];
  #pendingBlocks: number[] = [];

  // Byte-keyed values (cells read straight from a CSV buffer).
  readonly #byBytes = new ByteKeys();
  // String-keyed values (cells of JSON, Parquet, text, quoted CSV cells).
  readonly #byString = new Map<string, number>();
  #strings: (string | undefined)[] = [];

  constructor(index: FingerprintIndex) {
    this.#index = index;
    this.#sigs = index.params.levels.map((l) => l.sig);
    this.#levels = this.#sigs.length;
    this.width = INFO_SHINGLES + this.#levels;
    this.info = new Int32Array(INITIAL_VALUES * this.width);
    this.shingles = new ShingleValues(index.params.levels.map((l) => l.bands));
  }

  /** Blocks waiting for flush(). */
  get pendingBlocks(): number {
    return this.#batch.count;
  }

  /** Sets the buffer that byte-keyed cells point into (one per table). */
  setSource(bytes: Uint8Array): void {
    this.#byBytes.setSource(bytes);
  }

  /** The id of the raw cell source[start, end); a new value if unseen. */
  internBytes(start: number, end: number): number {
    const known = this.#byBytes.find(start, end);
    if (known >= 0) return known;
    const id = this.#add(null);
    this.#byBytes.add(id, start, end);
    this.#parse(this.text(id));
    return id;
  }

  /** The id of a cell given as text. */
  internString(raw: string): number {
    const known = this.#byString.get(raw);
    if (known !== undefined) return known;
    const id = this.#add(raw);
    this.#byString.set(raw, id);
    this.#parse(raw);
    return id;
  }

  /** The raw text of a value, for evidence. */
  text(id: number): string {
    const s = this.#strings[id];
    if (s !== undefined) return s;
    return utf8.decode(this.#byBytes.bytes(id));
  }

  /** Encrypts every pending block and sets the new values' tags, flags and ranks. */
  flush(): void {
    const ids = this.#pendingIds;
    if (ids.length === 0) return;
    const tags = this.#index.key.tags(this.#batch.words, this.#batch.count);
    const { sets } = this.#index;
    const L = this.#levels;
    const stride = 1 + L;
    const info = this.info;
    const W = this.width;
    for (let p = 0; p < ids.length; p++) {
      const at = ids[p]! * W;
      const exact = this.#pendingBlocks[p * stride]!;
      if (exact < 0) {
        info[at + INFO_FLAGS] = 0;
        info.fill(NO_SHINGLE_VALUE, at + INFO_SHINGLES, at + INFO_SHINGLES + L);
        continue;
      }
      const lo = tags[4 * exact]!;
      const hi = tags[4 * exact + 1]!;
      info[at + INFO_EXACT_LO] = lo;
      info[at + INFO_EXACT_HI] = hi;
      let flags = 0;
      if (sets.identifiers.has(lo, hi)) flags |= FLAG_IDENTIFIER;
      if (sets.qiValues.has(lo, hi)) flags |= FLAG_QI;
      for (let l = 0; l < L; l++) {
        const b = this.#pendingBlocks[p * stride + 1 + l]!;
        const llo = tags[4 * b]!;
        const lhi = tags[4 * b + 1]!;
        if (!sets.shingleValues.has(llo, lhi)) {
          info[at + INFO_SHINGLES + l] = NO_SHINGLE_VALUE;
          continue;
        }
        flags |= FLAG_SHINGLE << l;
        info[at + INFO_SHINGLES + l] = this.shingles.intern(l, llo, lhi);
      }
      info[at + INFO_FLAGS] = flags;
    }
    ids.length = 0;
    this.#pendingBlocks.length = 0;
    this.#batch.reset();
  }

  /** A new value id, with `raw` its text (null: its bytes in the source). */
  #add(raw: string | null): number {
    const id = this.count++;
    if ((id + 1) * this.width > this.info.length) {
      const info = new Int32Array(this.info.length * 2);
      info.set(this.info);
      this.info = info;
    }
    this.#strings[id] = raw ?? undefined;
    return id;
  }

  /** Queues the blocks of the value just added, given its text. */
  #parse(text: string): void {
    const kind = parseCell(text);
    this.#pendingIds.push(this.count - 1);
    if (kind === CELL_EMPTY) {
      this.#pendingBlocks.push(-1);
      for (let l = 0; l < this.#levels; l++) this.#pendingBlocks.push(-1);
      return;
    }
    const batch = this.#batch;
    let at = batch.next();
    writeExactBlock(batch.words, at);
    const exact = at >> 2;
    this.#pendingBlocks.push(exact);
    for (let l = 0; l < this.#levels; l++) {
      if (cell.kind === CELL_NUMBER) {
        at = batch.next();
        writeRoundedBlock(batch.words, at, this.#sigs[l]!);
        this.#pendingBlocks.push(at >> 2);
      } else this.#pendingBlocks.push(exact);
    }
  }
}
