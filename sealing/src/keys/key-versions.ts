/**
 * Key versions of one dataset and the rules that change them (runs inside the TEE; pure, no I/O).
 * A dataset starts at version 1; rotation adds version N+1 and makes it current (new writes); older
 * versions stay readable until retired; a retired version is refused for ever; the current version
 * cannot be retired (rotate first). docs/key-management.md explains why.
 */
import { Cce4longError } from "@cce4long/protocol";
import { assertKeyVersion, MAX_KEY_VERSION } from "./paths";

export interface KeyVersionRecord {
  readonly version: number;
  readonly status: "active" | "retired";
  /** Public fingerprint of the key derived at creation (types.ts DatasetKey.fingerprint). */
  readonly fingerprint: string;
  readonly createdAt: string;
  readonly retiredAt?: string;
}

export interface DatasetKeyState {
  readonly datasetId: string;
  /** The version new writes use. Always an active version. */
  readonly currentVersion: number;
  /** Every version ever created, ascending. Retired versions stay listed: a version number is never reused. */
  readonly versions: readonly KeyVersionRecord[];
  /** Bumped on every change; stores compare it to reject concurrent updates. */
  readonly revision: number;
}

export function initialKeyState(datasetId: string, fingerprint: string, now: Date): DatasetKeyState {
  return {
    datasetId,
    currentVersion: 1,
    versions: [{ version: 1, status: "active", fingerprint, createdAt: now.toISOString() }],
    revision: 1,
  };
}

/** Adds version N+1 (N = the highest version ever created) and makes it current. */
export function rotatedKeyState(state: DatasetKeyState, fingerprint: string, now: Date): DatasetKeyState {
  const next = nextVersionForRotation(state);
  if (next > MAX_KEY_VERSION) {
    throw new Cce4longError("CONFLICT", "Dataset has reached the highest key version", {
      detail: { datasetId: state.datasetId },
    });
  }
  return {
    ...state,
    currentVersion: next,
    versions: [
      ...state.versions,
      { version: next, status: "active", fingerprint, createdAt: now.toISOString() },
    ],
    revision: state.revision + 1,
  };
}

/** The version a rotation of `state` would create (its key is derived before the state changes). */
export function nextVersionForRotation(state: DatasetKeyState): number {
  return Math.max(...state.versions.map((record) => record.version)) + 1;
}

/** Retires `version`. Retiring a retired version changes nothing; the current version cannot be retired. */
export function retiredKeyState(state: DatasetKeyState, version: number, now: Date): DatasetKeyState {
  const record = findVersion(state, version);
  if (record.status === "retired") return state;
  if (version === state.currentVersion) {
    throw new Cce4longError(
      "CONFLICT",
      "The current key version cannot be retired: rotate to a new version and re-encrypt first",
      { detail: { datasetId: state.datasetId, version } },
    );
  }
  return {
    ...state,
    versions: state.versions.map((entry) =>
      entry.version === version ? { ...entry, status: "retired", retiredAt: now.toISOString() } : entry,
    ),
    revision: state.revision + 1,
  };
}

/** The record of a version that may be read; throws KEY_VERSION_UNKNOWN or KEY_VERSION_RETIRED otherwise. */
export function readableVersion(state: DatasetKeyState, version: number): KeyVersionRecord {
  const record = findVersion(state, version);
  if (record.status === "retired") {
    throw new Cce4longError("KEY_VERSION_RETIRED", "This key version has been retired", {
      detail: { datasetId: state.datasetId, version },
    });
  }
  return record;
}

function findVersion(state: DatasetKeyState, version: number): KeyVersionRecord {
  assertKeyVersion(version);
  const record = state.versions.find((entry) => entry.version === version);
  if (!record) {
    throw new Cce4longError("KEY_VERSION_UNKNOWN", "This dataset has no such key version", {
      detail: { datasetId: state.datasetId, version },
    });
  }
  return record;
}
