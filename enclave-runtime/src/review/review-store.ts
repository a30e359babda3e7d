/**
 * Where review records and used reviewer nonces live (runs inside the TEE). In production this is
 * the TEE's encrypted storage (dstack mounts an encrypted, measurement-bound disk for the app), so
 * records never reach a disk in clear; the file store below writes under PRIVACY_PLANE_STATE_DIR,
 * which is that disk in a dstack deployment and a plain folder locally. Records hold no output bytes.
 */
import type { ReviewRecord } from "./record";

export interface ReviewStore {
  get(jobId: string): Promise<ReviewRecord | undefined>;
  /** Every record (small: one per job that produced outputs); callers filter. */
  list(): Promise<ReviewRecord[]>;
  /**
   * Stores `next` only if the stored revision is still `expectedRevision` (0: no record yet), so
   * two concurrent decisions cannot both win. Returns false when another writer got there first.
   */
  compareAndSet(jobId: string, expectedRevision: number, next: ReviewRecord): Promise<boolean>;
  /** Marks a reviewer's nonce used; false when it already was (a replayed signature). */
  useNonce(reviewer: string, nonce: string): Promise<boolean>;
}

export class InMemoryReviewStore implements ReviewStore {
  readonly #records = new Map<string, ReviewRecord>();
  readonly #nonces = new Set<string>();

  async get(jobId: string): Promise<ReviewRecord | undefined> {
    const record = this.#records.get(jobId.toLowerCase());
    return record === undefined ? undefined : structuredClone(record);
  }

  async list(): Promise<ReviewRecord[]> {
    return [...this.#records.values()].map((r) => structuredClone(r));
  }

  async compareAndSet(jobId: string, expectedRevision: number, next: ReviewRecord): Promise<boolean> {
    const key = jobId.toLowerCase();
    if ((this.#records.get(key)?.revision ?? 0) !== expectedRevision) return false;
    this.#records.set(key, structuredClone(next));
    return true;
  }

  async useNonce(reviewer: string, nonce: string): Promise<boolean> {
    const key = `${reviewer.toLowerCase()}:${nonce}`;
    if (this.#nonces.has(key)) return false;
    this.#nonces.add(key);
    return true;
  }
}
