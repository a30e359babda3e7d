/**
 * Counts occurrences of 64-bit tags (runs inside the TEE, at ingest): an open-addressing hash table
 * over typed arrays, so counting tens of millions of tags needs no per-entry objects. Tags are PRF
 * outputs, so their low word is already a good slot hash.
 */
export class TagCounter {
  #keys: Uint32Array;
  #counts: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(initialCapacity = 1024) {
    const capacity = 2 ** Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.#keys = new Uint32Array(capacity * 2);
    this.#counts = new Uint32Array(capacity);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  add(lo: number, hi: number): void {
    if (this.#size * 2 >= this.#counts.length) this.#grow();
    const slot = this.#find(lo >>> 0, hi >>> 0);
    if (this.#counts[slot] === 0) {
      this.#keys[2 * slot] = lo;
      this.#keys[2 * slot + 1] = hi;
      this.#size++;
    }
    this.#counts[slot]!++;
  }

  get(lo: number, hi: number): number {
    return this.#counts[this.#find(lo >>> 0, hi >>> 0)]!;
  }

  /** Calls `fn` for every tag with its count. */
  forEach(fn: (lo: number, hi: number, count: number) => void): void {
    for (let s = 0; s < this.#counts.length; s++) {
      const c = this.#counts[s]!;
      if (c !== 0) fn(this.#keys[2 * s]!, this.#keys[2 * s + 1]!, c);
    }
  }

  #find(lo: number, hi: number): number {
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.#mask;
    while (this.#counts[slot] !== 0) {
      if (this.#keys[2 * slot] === lo && this.#keys[2 * slot + 1] === hi) return slot;
      slot = (slot + 1) & this.#mask;
    }
    return slot;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldCounts = this.#counts;
    this.#keys = new Uint32Array(oldKeys.length * 2);
    this.#counts = new Uint32Array(oldCounts.length * 2);
    this.#mask = this.#counts.length - 1;
    for (let s = 0; s < oldCounts.length; s++) {
      const c = oldCounts[s]!;
      if (c === 0) continue;
      const slot = this.#find(oldKeys[2 * s]!, oldKeys[2 * s + 1]!);
      this.#keys[2 * slot] = oldKeys[2 * s]!;
      this.#keys[2 * slot + 1] = oldKeys[2 * s + 1]!;
      this.#counts[slot] = c;
    }
  }
}
