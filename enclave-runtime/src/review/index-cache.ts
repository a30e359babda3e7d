/**
 * Loaded fingerprint indexes kept for later gate runs (runs inside the TEE), within a memory budget.
 * Loading a version's index (fetch, decrypt, order check; the scan's prefilter is built on it later)
 * costs more than scanning a 10 MB output set, and the index of a version never changes. Runs that
 * ask for a key at the same time share one load; a load that gives nothing or fails is not kept,
 * so the next run tries again. The least recently used indexes go first when the budget is passed,
 * and one larger than the whole budget is used by its runs and not kept.
 */

/** Two 1M-row versions (108 MiB each in memory once loaded, 116 MiB with the scan's prefilter). */
export const DEFAULT_INDEX_CACHE_BYTES = 256 * 2 ** 20;

interface Entry<T> {
  loading: Promise<T | null>;
  /** Its memory once loaded (0 while loading). */
  bytes: number;
}

export class IndexCache<T extends { memoryBytes: number }> {
  readonly #budget: number;
  /** In order of use, the least recent first. */
  readonly #entries = new Map<string, Entry<T>>();

  constructor(budgetBytes: number = DEFAULT_INDEX_CACHE_BYTES) {
    this.#budget = budgetBytes;
  }

  /** The value kept under `key`, or load()'s, which is kept when it fits. */
  get(key: string, load: () => Promise<T | null>): Promise<T | null> {
    const known = this.#entries.get(key);
    if (known !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, known);
      return known.loading;
    }
    const entry: Entry<T> = { loading: load(), bytes: 0 };
    this.#entries.set(key, entry);
    const forget = () => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    };
    entry.loading.then((value) => {
      if (value === null || value.memoryBytes > this.#budget) return forget();
      entry.bytes = value.memoryBytes;
      this.#evictFor(entry);
    }, forget);
    return entry.loading;
  }

  /** Memory of the loaded values kept (the prefilter of one counts once it is built). */
  get bytes(): number {
    let total = 0;
    for (const entry of this.#entries.values()) total += entry.bytes;
    return total;
  }

  /** Drops the least recently used loaded values, never `keep`, until the kept ones fit. */
  #evictFor(keep: Entry<T>): void {
    let total = this.bytes;
    for (const [key, entry] of this.#entries) {
      if (total <= this.#budget) return;
      if (entry === keep || entry.bytes === 0) continue;
      this.#entries.delete(key);
      total -= entry.bytes;
    }
  }
}
