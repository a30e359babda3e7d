/**
 * A bounded, time-limited store of response bodies in this isolate's memory (runs in workerd). It
 * holds public, identity-independent answers only (the catalogue): a Worker isolate serves many
 * requests, so a hit costs a Map lookup and no I/O at all. Bounded by entry count and total bytes,
 * least recently used evicted first (a Map keeps insertion order; a hit re-inserts its entry).
 *
 * An entry is fresh for its lifetime, then stale for as long again: while stale, one request at a
 * time may claim the refresh (it goes to the origin) and the others keep getting the stale copy, so
 * an expiry does not send every concurrent reader to the chain at once (RFC 5861's
 * stale-while-revalidate, done by the reader that claims it). A claim left by a request that died
 * lapses after REFRESH_CLAIM_MS.
 *
 * Only plain values cross requests here, never promises: workerd cancels a request that waits on
 * I/O another request started.
 */

export interface CachedBody {
  body: ArrayBuffer;
  contentType: string;
}

export interface CacheLookup extends CachedBody {
  state: "fresh" | "stale";
}

interface Entry extends CachedBody {
  freshUntil: number;
  staleUntil: number;
  refreshClaimedAt: number | null;
}

export interface IsolateCacheLimits {
  maxEntries: number;
  maxBytes: number;
  /** A body larger than this is not kept at all. */
  maxEntryBytes: number;
}

/** After this long a refresh claim is taken to be dead and another request may claim it. */
export const REFRESH_CLAIM_MS = 10_000;

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

  /** The entry, fresh or stale; undefined once it is past its stale period (it is then dropped). */
  lookup(key: string): CacheLookup | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (entry.staleUntil <= now) {
      this.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return {
      body: entry.body,
      contentType: entry.contentType,
      state: entry.freshUntil > now ? "fresh" : "stale",
    };
  }

  /**
   * Claims the refresh of a stale entry: true for the one caller that should go to the origin, false
   * while another claim is live. A successful `set` or a `releaseRefresh` ends the claim.
   */
  claimRefresh(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return true;
    const now = this.now();
    if (entry.refreshClaimedAt !== null && now - entry.refreshClaimedAt < REFRESH_CLAIM_MS) return false;
    entry.refreshClaimedAt = now;
    return true;
  }

  /** The refresh failed: the stale copy stays (until its stale period ends) and another may try. */
  releaseRefresh(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) entry.refreshClaimedAt = null;
  }

  set(key: string, value: CachedBody, ttlSeconds: number): void {
    this.delete(key);
    const size = value.body.byteLength;
    if (ttlSeconds <= 0 || size > this.limits.maxEntryBytes) return;
    const now = this.now();
    this.#entries.set(key, {
      ...value,
      freshUntil: now + ttlSeconds * 1000,
      staleUntil: now + 2 * ttlSeconds * 1000,
      refreshClaimedAt: null,
    });
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
