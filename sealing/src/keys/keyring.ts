/**
 * Dataset keys with rotation and retirement enforced (runs inside the TEE): the one way the Privacy
 * Plane obtains a dataset key. Writes get the current version; reads get the version a file's header
 * names, unless it is retired or unknown; every derived key is checked against the fingerprint recorded
 * when its version was created, so a changed TEE root is caught before anything is decrypted or written.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { KeyVersionStore } from "./key-version-store";
import {
  type DatasetKeyState,
  initialKeyState,
  nextVersionForRotation,
  readableVersion,
  retiredKeyState,
  rotatedKeyState,
} from "./key-versions";
import { assertDatasetId } from "./paths";
import type { DatasetKey, KeyProvider } from "./types";

export interface DatasetKeyringOptions {
  provider: KeyProvider;
  store: KeyVersionStore;
  now?: () => Date;
}

/** Concurrent rotations of one dataset are rare; a few retries settle them. */
const MAX_UPDATE_ATTEMPTS = 5;

export class DatasetKeyring {
  readonly #provider: KeyProvider;
  readonly #store: KeyVersionStore;
  readonly #now: () => Date;

  constructor(options: DatasetKeyringOptions) {
    this.#provider = options.provider;
    this.#store = options.store;
    this.#now = options.now ?? (() => new Date());
  }

  /** Starts a dataset at key version 1 and returns that key. A dataset can be created once. */
  async createDataset(datasetId: string): Promise<DatasetKey> {
    assertDatasetId(datasetId);
    const key = await this.#provider.datasetKey(datasetId, 1);
    const stored = await this.#store.compareAndSet(
      datasetId,
      0,
      initialKeyState(datasetId, key.fingerprint, this.#now()),
    );
    if (!stored) {
      key.wipe();
      throw new Cce4longError("CONFLICT", "This dataset already has keys", { detail: { datasetId } });
    }
    return key;
  }

  /** The key new ciphertext is written under: the current version. */
  async keyForWrite(datasetId: string): Promise<DatasetKey> {
    const state = await this.state(datasetId);
    return this.#derive(state, state.currentVersion);
  }

  /** The key of `version`, for reading ciphertext written under it. Refuses retired and unknown versions. */
  async keyForRead(datasetId: string, version: number): Promise<DatasetKey> {
    return this.#derive(await this.state(datasetId), version);
  }

  /**
   * Creates version N+1 and makes it current. Readers of older versions are unaffected (no downtime);
   * writers switch to the new version as soon as this returns. Returns the new key.
   */
  async rotate(datasetId: string): Promise<DatasetKey> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const state = await this.state(datasetId);
      const key = await this.#provider.datasetKey(datasetId, nextVersionForRotation(state));
      if (
        await this.#store.compareAndSet(
          datasetId,
          state.revision,
          rotatedKeyState(state, key.fingerprint, this.#now()),
        )
      ) {
        return key;
      }
      key.wipe();
    }
    throw concurrentUpdate(datasetId);
  }

  /**
   * Retires `version`: from now on it is refused for reading. Call only once no ciphertext under it is
   * still needed (the re-encryption to the current version has been committed); it cannot be undone.
   */
  async retire(datasetId: string, version: number): Promise<DatasetKeyState> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const state = await this.state(datasetId);
      const next = retiredKeyState(state, version, this.#now());
      if (next === state || (await this.#store.compareAndSet(datasetId, state.revision, next))) return next;
    }
    throw concurrentUpdate(datasetId);
  }

  async state(datasetId: string): Promise<DatasetKeyState> {
    assertDatasetId(datasetId);
    const state = await this.#store.get(datasetId);
    if (!state) {
      throw new Cce4longError("NOT_FOUND", "This dataset has no keys", { detail: { datasetId } });
    }
    return state;
  }

  async #derive(state: DatasetKeyState, version: number): Promise<DatasetKey> {
    const record = readableVersion(state, version);
    const key = await this.#provider.datasetKey(state.datasetId, version);
    if (key.fingerprint !== record.fingerprint) {
      key.wipe();
      // Same path, different key: the TEE root changed (another app id, another KMS). Fail loudly
      // rather than write data no one could read, or report integrity errors on every read.
      throw new Cce4longError(
        "KEY_ROOT_CHANGED",
        "The derived dataset key does not match the one recorded for it",
        {
          detail: {
            datasetId: state.datasetId,
            version,
            expected: record.fingerprint,
            derived: key.fingerprint,
          },
        },
      );
    }
    return key;
  }
}

function concurrentUpdate(datasetId: string): Cce4longError {
  return new Cce4longError("CONFLICT", "The dataset's key versions changed concurrently; try again", {
    detail: { datasetId },
  });
}
