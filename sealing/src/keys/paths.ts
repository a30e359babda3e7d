/**
 * The dstack GetKey paths cce4long asks for, built only here from the constants in labels.ts
 * (runs inside the TEE). Inputs are checked so that no dataset id can alias another key's path.
 */
import { Cce4longError } from "@cce4long/protocol";
import {
  DATASET_KEY_PATH_SEGMENT,
  GATE_OUTPUT_KEY_PATH_SEGMENT,
  INGEST_KEY_PATH_SEGMENT,
  KEY_PATH_ROOT,
  OUTPUT_VAULT_KEY_PATH_SEGMENT,
  SIGNING_KEY_PATH_SEGMENT,
  SIGNING_KEY_USE,
} from "./labels";
import type { SigningKeyUse } from "./types";

/**
 * Dataset ids: letters, digits, `_`, `.`, `-` (or a 0x-hex id), 1 to 128 characters, not starting
 * with a separator. No `/`, so `a/v1` cannot pose as dataset `a` at version 1.
 */
const DATASET_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Versions are 1-based; 2^31 - 1 leaves room in every integer type a header or contract uses. */
export const MAX_KEY_VERSION = 0x7fffffff;

const SIGNING_USES: ReadonlySet<string> = new Set(Object.values(SIGNING_KEY_USE));

export function assertDatasetId(datasetId: string): void {
  if (typeof datasetId !== "string" || !DATASET_ID.test(datasetId)) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      "Dataset id must be 1 to 128 characters of letters, digits, '_', '.' or '-', starting with a letter or digit",
    );
  }
}

export function assertKeyVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 1 || version > MAX_KEY_VERSION) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      `Key version must be an integer from 1 to ${MAX_KEY_VERSION}`,
      {
        detail: { version },
      },
    );
  }
}

export function datasetKeyPath(datasetId: string, keyVersion: number): string {
  assertDatasetId(datasetId);
  assertKeyVersion(keyVersion);
  return `${KEY_PATH_ROOT}/${DATASET_KEY_PATH_SEGMENT}/${datasetId}/v${keyVersion}`;
}

export function signingKeyPath(use: SigningKeyUse, version: number): string {
  if (!SIGNING_USES.has(use)) {
    throw new Cce4longError("VALIDATION_FAILED", "Unknown signing key use", { detail: { use } });
  }
  assertKeyVersion(version);
  return `${KEY_PATH_ROOT}/${SIGNING_KEY_PATH_SEGMENT}/${use}/v${version}`;
}

export function ingestKeyPath(version: number): string {
  assertKeyVersion(version);
  return `${KEY_PATH_ROOT}/${INGEST_KEY_PATH_SEGMENT}/v${version}`;
}

export function gateOutputKeyPath(version: number): string {
  assertKeyVersion(version);
  return `${KEY_PATH_ROOT}/${GATE_OUTPUT_KEY_PATH_SEGMENT}/v${version}`;
}

export function outputVaultKeyPath(version: number): string {
  assertKeyVersion(version);
  return `${KEY_PATH_ROOT}/${OUTPUT_VAULT_KEY_PATH_SEGMENT}/v${version}`;
}
