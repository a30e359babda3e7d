/**
 * Interning of raw cells read as byte ranges of one CSV buffer (runs inside the TEE): equal bytes,
 * equal id. A cell of up to 11 bytes (numbers, codes, dates without a time: nearly every cell) is its
 * own key, packed with its length into three words of the slot, so a lookup reads one slot and never
 * goes back to the buffer; a longer cell is keyed by two hashes and its length, and compared byte for
 * byte with its first occurrence. Either way an id is never a guess.
 */

/** Words per slot: three key words, then the id (EMPTY when free). */
const SLOT = 4;
const EMPTY = -1;
const PACKED_MAX = 11;
/** The low min(n, 4) bytes of a word (none for n <= 0). */
const lowBytes = (n: number) => (n >= 4 ? -1 : n <= 0 ? 0 : (1 << (8 * n)) - 1);
/** By cell length: which bytes of its first, second and third word are the cell's. */
const MASKS_0 = Int32Array.from({ length: PACKED_MAX + 1 }, (_, n) => lowBytes(n));
const MASKS_1 = Int32Array.from({ length: PACKED_MAX + 1 }, (_, n) => lowBytes(n - 4));
const MASKS_2 = Int32Array.from({ length: PACKED_MAX + 1 }, (_, n) => lowBytes(n - 8));
/** Top byte of the third key word of a long cell: above any packed length. */
const LONG = 0xff << 24;

export class ByteKeys {
  #source: Uint8Array = new Uint8Array(0);
  /**
   * #source.length, kept as a small integer: a typed array's length reaches the optimized code as a
   * float (lengths may pass 2^31) and was converted and checked on every find(), a fifth of its time.
   */
  #sourceLength = 0;
  #view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  #slots = new Int32Array(SLOT << 12).fill(EMPTY);
  // The masks as fields: a bundle turns module constants into variables, reloaded on every use.
  readonly #masks0 = MASKS_0;
  readonly #masks1 = MASKS_1;
  readonly #masks2 = MASKS_2;
  #mask = (1 << 12) - 1;
  #size = 0;
  /** The key of the cell last passed to find(), kept for add(). */
  #k0 = 0;
  #k1 = 0;
  #k2 = 0;
  #slot = 0;
  /** First occurrence of each cell, by id: a long cell is compared with it; evidence reads its text. */
  #starts = new Int32Array(1024);
  #ends = new Int32Array(1024);

  /** The buffer that byte ranges point into. */
  setSource(bytes: Uint8Array): void {
    this.#source = bytes;
    this.#sourceLength = bytes.length;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * The id of source[start, end), or EMPTY; then add(id) gives that range this new id. Small on
   * purpose: the optimizing compiler inlines it into the CSV reader (a call per cell cost a sixth
   * of it); longer cells and cells at the buffer's end take #findOther.
   */
  find(start: number, end: number): number {
    const len = end - start;
    if (len > PACKED_MAX || start + 3 * 4 > this.#sourceLength) return this.#findOther(start, end);
    // Little-endian bytes, the length in the top byte of the third word: three word reads masked
    // to the cell's bytes (the bytes past the cell are in the buffer, so the reads stay inside it).
    // Masks by length instead of tests on it, which cell lengths varying cell to cell mispredict.
    const view = this.#view;
    return this.#lookUp(
      view.getInt32(start, true) & this.#masks0[len]!,
      view.getInt32(start + 4, true) & this.#masks1[len]!,
      (view.getInt32(start + 8, true) & this.#masks2[len]!) | (len << 24),
      start,
      end,
    );
  }

  /** find() for a cell longer than PACKED_MAX, or too near the end of the buffer for word reads. */
  #findOther(start: number, end: number): number {
    const src = this.#source;
    const len = end - start;
    let k0 = 0;
    let k1 = 0;
    let k2 = 0;
    if (len <= PACKED_MAX) {
      // The same key as find()'s, a byte at a time.
      let k = start;
      for (let shift = 0; k < end && shift < 32; shift += 8) k0 |= src[k++]! << shift;
      for (let shift = 0; k < end && shift < 32; shift += 8) k1 |= src[k++]! << shift;
      for (let shift = 0; k < end && shift < 24; shift += 8) k2 |= src[k++]! << shift;
      k2 |= len << 24;
    } else {
      let h0 = 0x811c9dc5;
      let h1 = 0x2545f491;
      for (let k = start; k < end; k++) {
        const c = src[k]!;
        h0 = Math.imul(h0 ^ c, 0x01000193);
        h1 = Math.imul(h1 ^ c, 0x5bd1e995) ^ (h1 >>> 15);
      }
      k0 = h0;
      k1 = h1;
      k2 = LONG | (len & 0xffffff);
    }
    return this.#lookUp(k0, k1, k2, start, end);
  }

  /**
   * The id stored under key (k0, k1, k2): for a long cell (LONG in k2) only after its bytes are
   * compared. On a miss, keeps the key and its free slot for add().
   */
  #lookUp(k0: number, k1: number, k2: number, start: number, end: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    let slot = slotOf(k0, k1, k2, mask);
    for (;;) {
      const at = slot * SLOT;
      const id = slots[at + 3]!;
      if (id === EMPTY) break;
      if (slots[at] === k0 && slots[at + 1] === k1 && slots[at + 2] === k2) {
        if ((k2 & LONG) !== LONG || this.#sameBytes(id, start, end)) return id;
      }
      slot = (slot + 1) & mask;
    }
    this.#k0 = k0;
    this.#k1 = k1;
    this.#k2 = k2;
    this.#slot = slot;
    return EMPTY;
  }

  /** Records `id` for the range find() just missed (call before any other find()). */
  add(id: number, start: number, end: number): void {
    if (id >= this.#starts.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(Math.max(id + 1, a.length * 2));
        b.set(a);
        return b;
      };
      this.#starts = grow(this.#starts);
      this.#ends = grow(this.#ends);
    }
    this.#starts[id] = start;
    this.#ends[id] = end;
    if (++this.#size * 2 > this.#mask + 1) {
      this.#grow();
      this.#insert(this.#k0, this.#k1, this.#k2, id);
      return;
    }
    const at = this.#slot * SLOT;
    this.#slots[at] = this.#k0;
    this.#slots[at + 1] = this.#k1;
    this.#slots[at + 2] = this.#k2;
    this.#slots[at + 3] = id;
  }

  /** The bytes of value `id` (for its text). */
  bytes(id: number): Uint8Array {
    return this.#source.subarray(this.#starts[id], this.#ends[id]);
  }

  #sameBytes(id: number, start: number, end: number): boolean {
    const src = this.#source;
    const s = this.#starts[id]!;
    if (this.#ends[id]! - s !== end - start) return false;
    for (let k = 0; k < end - start; k++) if (src[s + k] !== src[start + k]) return false;
    return true;
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Int32Array(old.length * 2).fill(EMPTY);
    this.#mask = (this.#mask << 1) | 1;
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at + 3] === EMPTY) continue;
      this.#insert(old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!);
    }
  }

  #insert(k0: number, k1: number, k2: number, id: number): void {
    let slot = slotOf(k0, k1, k2, this.#mask);
    while (this.#slots[slot * SLOT + 3] !== EMPTY) slot = (slot + 1) & this.#mask;
    const at = slot * SLOT;
    this.#slots[at] = k0;
    this.#slots[at + 1] = k1;
    this.#slots[at + 2] = k2;
    this.#slots[at + 3] = id;
  }
}

function slotOf(k0: number, k1: number, k2: number, mask: number): number {
  let h = k0 ^ Math.imul(k1, 0x9e3779b1) ^ Math.imul(k2, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h & mask;
}
