/**
 * A bounded, time-limited store of response bodies in this isolate's memory (runs in workerd). It
 * holds public, identity-independent answers only (the catalogue): a Worker isolate serves many
 * requests, so a hit costs a Map lookup and no I/O at all. Bounded by entry count and total bytes,
 * least recently used evicted first (a Map keeps insertion order; a hit re-inserts its entry).
 *
 * Only plain values cross requests here, never promises: workerd cancels a request that waits on
 * I/O another request started, so two concurrent misses both go to the origin, by design.
 */

export interface CachedBody {
  body: ArrayBuffer;
  contentType: string;
}

interface Entry extends CachedBody {
  expiresAt: number;
}

export interface IsolateCacheLimits {
  maxEntries: number;
  maxBytes: number;
  /** A body larger than this is not kept at all. */
  maxEntryBytes: number;
}

export class IsolateCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(
    readonly limits: IsolateCacheLimits,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): CachedBody | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.now()) {
      this.#bytes -= entry.body.byteLength;
      return undefined;
    }
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, value: CachedBody, ttlSeconds: number): void {
    this.delete(key);
    const size = value.body.byteLength;
    if (ttlSeconds <= 0 || size > this.limits.maxEntryBytes) return;
    this.#entries.set(key, { ...value, expiresAt: this.now() + ttlSeconds * 1000 });
    this.#bytes += size;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.limits.maxEntries && this.#bytes <= this.limits.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.body.byteLength;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.body.byteLength;
  }
}
