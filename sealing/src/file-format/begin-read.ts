/**
 * Starts reading one encrypted file: checks the key, the key check and the header MAC, derives the chunk
 * key (docs/encrypted-file-format.md, section 7 steps 7 to 9). Runs in trusted code only.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { chunkCount, chunkPlainLength, decryptChunk, encryptedFileLength } from "./chunk";
import { integrityFailed, keyInvalid } from "./errors";
import { type FileHeader, macOffset, type ParsedHeader } from "./header";
import { assertDatasetKey, deriveFileKeys, deriveKeyCheck, wipe } from "./keys";

export interface FileReaderSession {
  readonly header: FileHeader;
  readonly headerLength: number;
  readonly chunkCount: number;
  /** The whole file's exact size: H + L + 16N. */
  readonly encryptedLength: number;
  /** Plaintext bytes in chunk `index`. */
  plainLength(index: number): number;
  /** Where chunk `index` starts in the file. */
  chunkOffset(index: number): number;
  /** Decrypts sealed chunk `index` (ciphertext || tag); throws SEAL_INTEGRITY if it does not verify. */
  decryptChunk(index: number, sealed: Uint8Array): Buffer;
  /** Wipes the per-file chunk key; the session is unusable afterwards. */
  close(): void;
}

/** Verifies a parsed header under `key`; throws SEAL_KEY_INVALID or SEAL_INTEGRITY. */
export function beginRead(parsed: ParsedHeader, key: Uint8Array): FileReaderSession {
  assertDatasetKey(key);
  const { header, bytes } = parsed;
  const expectedCheck = deriveKeyCheck(key, header.datasetId, header.keyVersion);
  if (!timingSafeEqual(expectedCheck, header.keyCheck)) {
    throw keyInvalid(
      "the key does not open this file (key check failed): wrong key, or the header names another dataset or key version",
      { datasetId: header.datasetId, keyVersion: header.keyVersion },
    );
  }
  const { chunkKey, macKey } = deriveFileKeys(key, header.fileId, header.datasetId, header.keyVersion);
  const macAt = macOffset(bytes.length);
  const expectedMac = createHmac("sha256", macKey).update(bytes.subarray(0, macAt)).digest();
  wipe(macKey);
  if (!timingSafeEqual(expectedMac, header.headerMac)) {
    wipe(chunkKey);
    throw integrityFailed("header authentication failed (a header field was modified)");
  }
  const headerHash = createHash("sha256").update(bytes).digest();
  const { chunkSize: c, plaintextLength: l } = header;
  const count = chunkCount(l, c);
  let closed = false;
  return {
    header,
    headerLength: bytes.length,
    chunkCount: count,
    encryptedLength: encryptedFileLength(bytes.length, l, c),
    plainLength: (index) => chunkPlainLength(index, count, l, c),
    chunkOffset: (index) => bytes.length + index * (c + 16),
    decryptChunk(index, sealed) {
      if (closed) throw new Error("file reader session used after close()");
      return decryptChunk(chunkKey, headerHash, index, index === count - 1, sealed);
    },
    close() {
      closed = true;
      wipe(chunkKey);
    },
  };
}
