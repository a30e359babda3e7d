/**
 * The single-use store of Job Credential nonces (runs inside the TEE). A nonce is consumed once, by
 * the key release it authorized; any later use is a replay. Entries are kept until their credential
 * expires (after that the expiry check refuses it anyway), so memory stays bounded by live credentials.
 * In memory on purpose: the durable guard is on-chain (a job leaves `Dispatched` at its key release and
 * the chain refuses a second `recordJobKeyReleased`), so a restart cannot re-open a used credential.
 */
export interface NonceStore {
  /** True if the nonce was consumed before. */
  isUsed(nonce: string): boolean;
  /** Consumes the nonce; false if it was already consumed (atomic: no await between check and set). */
  consume(nonce: string, expiresAtMs: number): boolean;
}

export class InMemoryNonceStore implements NonceStore {
  readonly #used = new Map<string, number>();
  readonly #now: () => number;
  #nextPrune = 0;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  isUsed(nonce: string): boolean {
    return this.#used.has(nonce.toLowerCase());
  }

  consume(nonce: string, expiresAtMs: number): boolean {
    this.#prune();
    const key = nonce.toLowerCase();
    if (this.#used.has(key)) return false;
    this.#used.set(key, expiresAtMs);
    return true;
  }

  get size(): number {
    return this.#used.size;
  }

  #prune(): void {
    const now = this.#now();
    if (now < this.#nextPrune) return;
    this.#nextPrune = now + 60_000;
    for (const [nonce, expiresAt] of this.#used) if (expiresAt < now) this.#used.delete(nonce);
  }
}
