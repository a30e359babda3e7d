/**
 * Where the key versions of each dataset are kept (runs inside the TEE). The state holds no secret
 * (version numbers, statuses, public fingerprints). The in-memory store serves tests and the local
 * platform; a durable store (the Privacy Plane's state, mirrored on-chain) implements the same interface.
 */
import type { DatasetKeyState } from "./key-versions";

export interface KeyVersionStore {
  get(datasetId: string): Promise<DatasetKeyState | undefined>;
  /**
   * Stores `next` only if the stored state's revision is still `expectedRevision` (0: no state yet).
   * Returns false when another writer got there first; the caller re-reads and retries.
   */
  compareAndSet(datasetId: string, expectedRevision: number, next: DatasetKeyState): Promise<boolean>;
}

export class InMemoryKeyVersionStore implements KeyVersionStore {
  readonly #states = new Map<string, DatasetKeyState>();

  async get(datasetId: string): Promise<DatasetKeyState | undefined> {
    return this.#states.get(datasetId);
  }

  async compareAndSet(datasetId: string, expectedRevision: number, next: DatasetKeyState): Promise<boolean> {
    const current = this.#states.get(datasetId);
    if ((current?.revision ?? 0) !== expectedRevision) return false;
    this.#states.set(datasetId, structuredClone(next));
    return true;
  }
}
