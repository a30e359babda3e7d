/**
 * Starts writing one encrypted file: picks the file id, derives the keys, builds the MAC'd header
 * (docs/encrypted-file-format.md, sections 4, 5, 8). Runs in trusted code only (Privacy Plane, CLI).
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { chunkCount, encryptChunkInto, encryptChunkParts } from "./chunk";
import { DEFAULT_CHUNK_SIZE, FILE_ID_LENGTH } from "./constants";
import { encodeHeaderWithoutMac, type FileHeader, type HeaderFields, macOffset, parseHeader } from "./header";
import { assertDatasetKey, deriveFileKeys, deriveKeyCheck, wipe } from "./keys";

export interface EncryptOptions {
  /** The 32-byte dataset key for `datasetId` at `keyVersion`. */
  key: Uint8Array;
  datasetId: string;
  /** Defaults to 1. */
  keyVersion?: number;
  /** Plaintext bytes per chunk; defaults to 65,536. */
  chunkSize?: number;
}

export interface FileWriter {
  readonly header: FileHeader;
  /** The header's bytes: the first H bytes of the file. */
  readonly headerBytes: Uint8Array;
  readonly chunkCount: number;
  /** Encrypts chunk `index` (the caller passes chunks in order, each exactly once) into `out`. */
  encryptChunkInto(index: number, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /** The same, returning ciphertext and tag as two buffers (no copy; for streams). */
  encryptChunkParts(index: number, plaintext: Uint8Array): [body: Buffer, tag: Buffer];
  /** Wipes the per-file chunk key; the writer is unusable afterwards. */
  close(): void;
}

/**
 * The production entry: a fresh random file id every time (spec 5.1 forbids reusing one).
 */
export function beginWrite(options: EncryptOptions, plaintextLength: number): FileWriter {
  return beginWriteWithFileId(options, plaintextLength, randomBytes(FILE_ID_LENGTH));
}

/**
 * Same with a caller-chosen file id. Only for deterministic test vectors (sealing/scripts/): reusing a
 * file id under one dataset key reuses GCM nonces. Not exported from the package index.
 */
export function beginWriteWithFileId(
  options: EncryptOptions,
  plaintextLength: number,
  fileId: Uint8Array,
): FileWriter {
  assertDatasetKey(options.key);
  const fields: HeaderFields = {
    datasetId: options.datasetId,
    keyVersion: options.keyVersion ?? 1,
    chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    plaintextLength,
    fileId: Uint8Array.from(fileId),
  };
  const keyCheck = deriveKeyCheck(options.key, fields.datasetId, fields.keyVersion);
  const bytes = encodeHeaderWithoutMac(fields, keyCheck);
  const { chunkKey, macKey } = deriveFileKeys(
    options.key,
    fields.fileId,
    fields.datasetId,
    fields.keyVersion,
  );
  const macAt = macOffset(bytes.length);
  bytes.set(createHmac("sha256", macKey).update(bytes.subarray(0, macAt)).digest(), macAt);
  wipe(macKey);
  const headerHash = createHash("sha256").update(bytes).digest();
  const { header } = parseHeader(bytes);
  const count = chunkCount(plaintextLength, fields.chunkSize);
  let closed = false;
  return {
    header,
    headerBytes: bytes,
    chunkCount: count,
    encryptChunkInto(index, plaintext, out, offset) {
      if (closed) throw new Error("file writer used after close()");
      return encryptChunkInto(chunkKey, headerHash, index, index === count - 1, plaintext, out, offset);
    },
    encryptChunkParts(index, plaintext) {
      if (closed) throw new Error("file writer used after close()");
      return encryptChunkParts(chunkKey, headerHash, index, index === count - 1, plaintext);
    },
    close() {
      closed = true;
      wipe(chunkKey);
    },
  };
}
