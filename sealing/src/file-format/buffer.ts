/**
 * Whole-buffer fast path: encrypt or decrypt a file held in memory in one call, one output allocation.
 * Runs in trusted code only (Privacy Plane, CLI, tests).
 */

import { beginRead } from "./begin-read";
import { beginWrite, type EncryptOptions, type FileWriter } from "./begin-write";
import { TAG_LENGTH } from "./constants";
import { integrityFailed } from "./errors";
import { type FileHeader, parseHeader } from "./header";

/** Encrypts `plaintext` into a complete encrypted file with a fresh random file id. */
export function encryptBuffer(plaintext: Uint8Array, options: EncryptOptions): Uint8Array {
  return sealWith(beginWrite(options, plaintext.length), plaintext);
}

/** Encrypts through an already started writer (also used by the test-vector generator). */
export function sealWith(writer: FileWriter, plaintext: Uint8Array): Uint8Array {
  try {
    const { chunkSize } = writer.header;
    const out = new Uint8Array(writer.headerBytes.length + plaintext.length + TAG_LENGTH * writer.chunkCount);
    out.set(writer.headerBytes, 0);
    let at = writer.headerBytes.length;
    for (let i = 0; i < writer.chunkCount; i++) {
      const piece = plaintext.subarray(i * chunkSize, Math.min((i + 1) * chunkSize, plaintext.length));
      at += writer.encryptChunkInto(i, piece, out, at);
    }
    return out;
  } finally {
    writer.close();
  }
}

export interface DecryptedFile {
  /** The authenticated header. */
  header: FileHeader;
  plaintext: Uint8Array;
}

/** Verifies and decrypts a complete encrypted file held in memory; all-or-nothing. */
export function decryptBuffer(file: Uint8Array, key: Uint8Array): DecryptedFile {
  const session = beginRead(parseHeader(file), key);
  try {
    if (file.length !== session.encryptedLength) {
      throw integrityFailed(
        `file is ${file.length} bytes but its header requires ${session.encryptedLength} (truncated or extended)`,
      );
    }
    const plaintext = new Uint8Array(session.header.plaintextLength);
    let at = 0;
    try {
      for (let i = 0; i < session.chunkCount; i++) {
        const start = session.chunkOffset(i);
        const sealed = file.subarray(start, start + session.plainLength(i) + TAG_LENGTH);
        // The verified chunk is copied into the result; its temporary holds nothing the result does not.
        const plain = session.decryptChunk(i, sealed);
        plaintext.set(plain, at);
        at += plain.length;
      }
    } catch (error) {
      plaintext.fill(0); // all-or-nothing: no partial plaintext survives a failure
      throw error;
    }
    return { header: session.header, plaintext };
  } finally {
    session.close();
  }
}
