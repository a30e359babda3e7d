/**
 * Turns a batch of rows of cell strings into fingerprint tags with one AES call (runs inside the TEE).
 * Every non-empty cell gets an exact tag; a number also gets one tag per shingle level (rounded to
 * that level's significant digits), while a string or a date uses its exact tag at every level.
 */
import {
  CELL_EMPTY,
  CELL_NUMBER,
  parseCell,
  parseValue,
  writeExactBlock,
  writeRoundedBlock,
} from "./normalize";
import { BlockBatch, type FingerprintKey } from "./prf";

/** No block: the cell was empty or a missing-value marker. */
export const NO_TAG = -1;

export class CellTagger {
  readonly #key: FingerprintKey;
  readonly #sigs: readonly number[];
  readonly #batch = new BlockBatch();
  /** Block index of each cell's exact tag, or NO_TAG. */
  exact = new Int32Array(4096);
  /** Block index of each cell's tag at each level, cell-major: levels[cell * L + l]. */
  levels = new Int32Array(4096);
  /** Tags after flush(): tag of block b is (tags[4b], tags[4b + 1]). */
  tags: Uint32Array = new Uint32Array(0);
  cells = 0;

  constructor(key: FingerprintKey, levelSigs: readonly number[]) {
    this.#key = key;
    this.#sigs = levelSigs;
  }

  reset(): void {
    this.#batch.reset();
    this.cells = 0;
  }

  /** Adds one cell given as text and returns its cell index in this batch. */
  add(raw: string): number {
    return this.#add(parseCell(raw));
  }

  /** Adds one cell given as a parsed value (string, number, Date, ...). */
  addValue(value: unknown): number {
    return this.#add(parseValue(value));
  }

  #add(kind: number): number {
    const L = this.#sigs.length;
    const i = this.cells++;
    if (i >= this.exact.length) {
      const exact = new Int32Array(this.exact.length * 2);
      exact.set(this.exact);
      this.exact = exact;
      const levels = new Int32Array(exact.length * L);
      levels.set(this.levels);
      this.levels = levels;
    } else if (this.levels.length < this.exact.length * L) {
      this.levels = new Int32Array(this.exact.length * L);
    }
    if (kind === CELL_EMPTY) {
      this.exact[i] = NO_TAG;
      for (let l = 0; l < L; l++) this.levels[i * L + l] = NO_TAG;
      return i;
    }
    const batch = this.#batch;
    let at = batch.next();
    writeExactBlock(batch.words, at);
    const exact = at >> 2;
    this.exact[i] = exact;
    for (let l = 0; l < L; l++) {
      if (kind === CELL_NUMBER) {
        at = batch.next();
        writeRoundedBlock(batch.words, at, this.#sigs[l]!);
        this.levels[i * L + l] = at >> 2;
      } else {
        this.levels[i * L + l] = exact;
      }
    }
    return i;
  }

  /** Computes the tags of every block added since reset(). */
  flush(): void {
    this.tags = this.#key.tags(this.#batch.words, this.#batch.count);
  }
}
