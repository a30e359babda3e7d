/**
 * The distinct cell values of one output being scanned (runs inside the TEE). Outputs repeat values
 * endlessly (a CRP of 2.34 appears thousands of times), so each distinct raw cell is normalized,
 * encrypted and looked up in the index once: a cell costs one probe of a small table that stays in
 * cache, instead of a parse, an AES block per level and four lookups in a set of millions of tags.
 */
import type { FingerprintIndex } from "./fingerprint-index";
import { CELL_EMPTY, CELL_NUMBER, cell, parseCell, writeExactBlock, writeRoundedBlock } from "./normalize";
import { BlockBatch } from "./prf";
import { ShingleValues } from "./shingle-values";

/** Flags of a value: its exact tag is a rare identifier value, a quasi-identifier value. */
export const FLAG_IDENTIFIER = 1;
export const FLAG_QI = 2;
/** Level l's tag of the value is a shingle value of the index: FLAG_SHINGLE << l. */
export const FLAG_SHINGLE = 4;
/** shingleIds entry of a value whose level tag is not a shingle value. */
export const NOT_SHINGLE = -1;

const EMPTY_SLOT = -1;
const INITIAL_VALUES = 1024;
const utf8 = new TextDecoder();

export class ValueTable {
  readonly #index: FingerprintIndex;
  readonly #sigs: number[];
  readonly #levels: number;
  readonly #batch = new BlockBatch();

  count = 0;
  flags = new Uint8Array(INITIAL_VALUES);
  exactLo = new Uint32Array(INITIAL_VALUES);
  exactHi = new Uint32Array(INITIAL_VALUES);
  /**
   * Per value and level, value-major ([id * L + l]): the id of its level tag among `shingles` when
   * that tag is a shingle value of the index, else NOT_SHINGLE.
   */
  shingleIds: Int32Array;
  readonly shingles: ShingleValues;

  /** Values added since the last flush: their ids and block numbers (exact, then one per level). */
  #pendingIds: number[] = [];
  #pendingBlocks: number[] = [];

  // Byte-keyed values (cells read straight from a CSV buffer): open addressing on the raw bytes' hash.
  #source: Uint8Array = new Uint8Array(0);
  #slots = new Int32Array(1 << 12).fill(EMPTY_SLOT);
  #slotHashes = new Uint32Array(1 << 12);
  #byteCount = 0;
  #starts = new Uint32Array(INITIAL_VALUES);
  #ends = new Uint32Array(INITIAL_VALUES);
  // String-keyed values (cells of JSON, Parquet, text, quoted CSV cells).
  readonly #byString = new Map<string, number>();
  #strings: (string | undefined)[] = [];

  constructor(index: FingerprintIndex) {
    this.#index = index;
    this.#sigs = index.params.levels.map((l) => l.sig);
    this.#levels = this.#sigs.length;
    this.shingleIds = new Int32Array(INITIAL_VALUES * this.#levels);
    this.shingles = new ShingleValues(index.params.levels.map((l) => l.bands));
  }

  /** Blocks waiting for flush(). */
  get pendingBlocks(): number {
    return this.#batch.count;
  }

  /** Sets the buffer that byte-keyed cells point into (one per table). */
  setSource(bytes: Uint8Array): void {
    this.#source = bytes;
  }

  /** The id of the raw cell source[start, end), whose bytes hash to `hash`; a new value if unseen. */
  internBytes(start: number, end: number, hash: number): number {
    const src = this.#source;
    const len = end - start;
    let mask = this.#slots.length - 1;
    let slot = hash & mask;
    for (;;) {
      const id = this.#slots[slot]!;
      if (id === EMPTY_SLOT) break;
      if (this.#slotHashes[slot] === hash >>> 0) {
        const s = this.#starts[id]!;
        if (this.#ends[id]! - s === len) {
          let k = 0;
          while (k < len && src[s + k] === src[start + k]) k++;
          if (k === len) return id;
        }
      }
      slot = (slot + 1) & mask;
    }
    const id = this.#add(null, start, end);
    if (++this.#byteCount * 2 > this.#slots.length) {
      this.#growSlots();
      mask = this.#slots.length - 1;
      slot = hash & mask;
      while (this.#slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
    }
    this.#slots[slot] = id;
    this.#slotHashes[slot] = hash >>> 0;
    return id;
  }

  /** The id of a cell given as text. */
  internString(raw: string): number {
    const known = this.#byString.get(raw);
    if (known !== undefined) return known;
    const id = this.#add(raw, 0, 0);
    this.#byString.set(raw, id);
    return id;
  }

  /** The raw text of a value, for evidence. */
  text(id: number): string {
    const s = this.#strings[id];
    if (s !== undefined) return s;
    return utf8.decode(this.#source.subarray(this.#starts[id], this.#ends[id]));
  }

  /** Encrypts every pending block and sets the new values' tags, flags and ranks. */
  flush(): void {
    const ids = this.#pendingIds;
    if (ids.length === 0) return;
    const tags = this.#index.key.tags(this.#batch.words, this.#batch.count);
    const { sets } = this.#index;
    const L = this.#levels;
    const stride = 1 + L;
    for (let p = 0; p < ids.length; p++) {
      const id = ids[p]!;
      const exact = this.#pendingBlocks[p * stride]!;
      if (exact < 0) {
        this.flags[id] = 0;
        this.shingleIds.fill(NOT_SHINGLE, id * L, id * L + L);
        continue;
      }
      const lo = tags[4 * exact]!;
      const hi = tags[4 * exact + 1]!;
      this.exactLo[id] = lo;
      this.exactHi[id] = hi;
      let flags = 0;
      if (sets.identifiers.has(lo, hi)) flags |= FLAG_IDENTIFIER;
      if (sets.qiValues.has(lo, hi)) flags |= FLAG_QI;
      for (let l = 0; l < L; l++) {
        const b = this.#pendingBlocks[p * stride + 1 + l]!;
        const llo = tags[4 * b]!;
        const lhi = tags[4 * b + 1]!;
        if (!sets.shingleValues.has(llo, lhi)) {
          this.shingleIds[id * L + l] = NOT_SHINGLE;
          continue;
        }
        flags |= FLAG_SHINGLE << l;
        this.shingleIds[id * L + l] = this.shingles.intern(l, llo, lhi);
      }
      this.flags[id] = flags;
    }
    ids.length = 0;
    this.#pendingBlocks.length = 0;
    this.#batch.reset();
  }

  /** A new value: `raw` text, or (null) the bytes source[start, end). */
  #add(raw: string | null, start: number, end: number): number {
    const id = this.count++;
    if (id >= this.flags.length) this.#growValues();
    this.#strings[id] = raw ?? undefined;
    this.#starts[id] = start;
    this.#ends[id] = end;
    const kind = parseCell(raw ?? this.text(id));
    this.#pendingIds.push(id);
    if (kind === CELL_EMPTY) {
      this.#pendingBlocks.push(-1);
      for (let l = 0; l < this.#levels; l++) this.#pendingBlocks.push(-1);
      return id;
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
    return id;
  }

  #growValues(): void {
    const n = this.flags.length * 2;
    const L = this.#levels;
    const grow = <T extends Uint8Array | Uint32Array | Int32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.flags = grow(this.flags, n);
    this.exactLo = grow(this.exactLo, n);
    this.exactHi = grow(this.exactHi, n);
    this.shingleIds = grow(this.shingleIds, n * L);
    this.#starts = grow(this.#starts, n);
    this.#ends = grow(this.#ends, n);
  }

  #growSlots(): void {
    const oldSlots = this.#slots;
    const oldHashes = this.#slotHashes;
    this.#slots = new Int32Array(oldSlots.length * 2).fill(EMPTY_SLOT);
    this.#slotHashes = new Uint32Array(oldSlots.length * 2);
    const mask = this.#slots.length - 1;
    for (let s = 0; s < oldSlots.length; s++) {
      const id = oldSlots[s]!;
      if (id === EMPTY_SLOT) continue;
      let slot = oldHashes[s]! & mask;
      while (this.#slots[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
      this.#slots[slot] = id;
      this.#slotHashes[slot] = oldHashes[s]!;
    }
  }
}
