/**
 * Key derivation of the file format (docs/encrypted-file-format.md, section 5): per-file chunk and
 * header-MAC keys and the public key check, all HKDF-SHA256 from the dataset key. Runs in trusted code only.
 *
 * On wiping: `wipe` zeroes the Buffers this module hands out, which removes those copies. JavaScript
 * gives no stronger guarantee: node:crypto copies keys into OpenSSL contexts freed at garbage collection,
 * the engine may have copied bytes during GC, and swap is outside our control. Wiping narrows the window;
 * it does not close it.
 */
import { hkdfSync } from "node:crypto";
import {
  FILE_FORMAT_V1_CHUNK_KEY_LABEL,
  FILE_FORMAT_V1_HEADER_MAC_KEY_LABEL,
  FILE_FORMAT_V1_KEY_CHECK_LABEL,
} from "../keys/labels";
import { DATASET_KEY_LENGTH, FILE_ID_LENGTH, KEY_CHECK_LENGTH } from "./constants";
import { keyInvalid } from "./errors";

export interface FileKeys {
  /** AES-256-GCM key for this file's chunks. Secret: wipe after use. */
  chunkKey: Buffer;
  /** HMAC-SHA256 key for this file's header. Secret: wipe after use. */
  macKey: Buffer;
}

/** Throws SEAL_KEY_INVALID unless `key` is exactly 32 bytes. Never echoes the key. */
export function assertDatasetKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw keyInvalid("dataset key must be a Uint8Array of 32 bytes");
  if (key.length !== DATASET_KEY_LENGTH) {
    throw keyInvalid(`dataset key must be ${DATASET_KEY_LENGTH} bytes, got ${key.length}`);
  }
}

/** context = u8(n) || dataset_id || u32(key_version); info = label || 0x00 || context. */
function info(label: string, datasetId: string, keyVersion: number): Buffer {
  const labelBytes = Buffer.from(label, "ascii");
  const out = Buffer.alloc(labelBytes.length + 1 + 1 + datasetId.length + 4);
  labelBytes.copy(out, 0);
  let at = labelBytes.length + 1;
  out[at++] = datasetId.length;
  at += out.write(datasetId, at, "ascii");
  out.writeUInt32BE(keyVersion, at);
  return out;
}

function hkdf(key: Uint8Array, salt: Uint8Array, infoBytes: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", key, salt, infoBytes, 32));
}

/** The public per-(key, dataset, key version) value stored in every header. */
export function deriveKeyCheck(key: Uint8Array, datasetId: string, keyVersion: number): Buffer {
  assertDatasetKey(key);
  const out = hkdf(key, new Uint8Array(0), info(FILE_FORMAT_V1_KEY_CHECK_LABEL, datasetId, keyVersion));
  return out.subarray(0, KEY_CHECK_LENGTH);
}

/** The per-file secrets; the random file id as salt is what keeps GCM nonces unique (spec 5.1). */
export function deriveFileKeys(
  key: Uint8Array,
  fileId: Uint8Array,
  datasetId: string,
  keyVersion: number,
): FileKeys {
  assertDatasetKey(key);
  if (fileId.length !== FILE_ID_LENGTH) {
    throw keyInvalid(`file id must be ${FILE_ID_LENGTH} bytes, got ${fileId.length}`);
  }
  return {
    chunkKey: hkdf(key, fileId, info(FILE_FORMAT_V1_CHUNK_KEY_LABEL, datasetId, keyVersion)),
    macKey: hkdf(key, fileId, info(FILE_FORMAT_V1_HEADER_MAC_KEY_LABEL, datasetId, keyVersion)),
  };
}

/** Zeroes secret buffers (best effort, see the note at the top of this file). */
export function wipe(...buffers: (Uint8Array | undefined)[]): void {
  for (const buffer of buffers) buffer?.fill(0);
}
