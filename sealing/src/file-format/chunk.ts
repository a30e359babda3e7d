/**
 * One chunk's AES-256-GCM through node:crypto, and the chunk geometry (docs/encrypted-file-format.md,
 * sections 3 and 6). Runs in trusted code only; plaintext leaves decryptChunkInto only after its tag verified.
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import { NONCE_LENGTH, TAG_LENGTH } from "./constants";
import { integrityFailed } from "./errors";

/** N = max(1, ceil(L / C)): an empty file still has one (empty, authenticated) chunk. */
export function chunkCount(plaintextLength: number, chunkSize: number): number {
  return plaintextLength === 0 ? 1 : Math.ceil(plaintextLength / chunkSize);
}

/** Plaintext bytes in chunk `index` of `count`. */
export function chunkPlainLength(index: number, count: number, plaintextLength: number, chunkSize: number) {
  return index < count - 1 ? chunkSize : plaintextLength - (count - 1) * chunkSize;
}

/** The exact size of a whole encrypted file: H + L + 16N. */
export function encryptedFileLength(
  headerLength: number,
  plaintextLength: number,
  chunkSize: number,
): number {
  return headerLength + plaintextLength + TAG_LENGTH * chunkCount(plaintextLength, chunkSize);
}

/** nonce_i = 0x00000000 || u64(i). Unique per chunk; the per-file key makes it unique per key. */
export function chunkNonce(index: number): Buffer {
  const nonce = Buffer.alloc(NONCE_LENGTH);
  nonce.writeUInt32BE(Math.floor(index / 0x1_0000_0000), 4);
  nonce.writeUInt32BE(index >>> 0, 8);
  return nonce;
}

/** aad_i = header_hash || u64(i) || last_i. */
export function chunkAad(headerHash: Uint8Array, index: number, last: boolean): Buffer {
  const aad = Buffer.alloc(headerHash.length + 9);
  aad.set(headerHash, 0);
  aad.writeUInt32BE(Math.floor(index / 0x1_0000_0000), headerHash.length);
  aad.writeUInt32BE(index >>> 0, headerHash.length + 4);
  aad[headerHash.length + 8] = last ? 1 : 0;
  return aad;
}

/** Encrypts one chunk, returning its ciphertext and tag as separate buffers (no copy). */
export function encryptChunkParts(
  chunkKey: Uint8Array,
  headerHash: Uint8Array,
  index: number,
  last: boolean,
  plaintext: Uint8Array,
): [body: Buffer, tag: Buffer] {
  const cipher = createCipheriv("aes-256-gcm", chunkKey, chunkNonce(index), { authTagLength: TAG_LENGTH });
  cipher.setAAD(chunkAad(headerHash, index, last));
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/** Encrypts one chunk into `out` at `offset` (ciphertext then tag); returns the bytes written. */
export function encryptChunkInto(
  chunkKey: Uint8Array,
  headerHash: Uint8Array,
  index: number,
  last: boolean,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): number {
  // node:crypto has no update-into-buffer, so the whole-buffer path pays one copy per chunk.
  const [body, tag] = encryptChunkParts(chunkKey, headerHash, index, last, plaintext);
  out.set(body, offset);
  out.set(tag, offset + body.length);
  return body.length + TAG_LENGTH;
}

/** Encrypts one chunk into a new buffer: ciphertext || tag. */
export function encryptChunk(
  chunkKey: Uint8Array,
  headerHash: Uint8Array,
  index: number,
  last: boolean,
  plaintext: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(plaintext.length + TAG_LENGTH);
  encryptChunkInto(chunkKey, headerHash, index, last, plaintext, out, 0);
  return out;
}

/**
 * Decrypts one sealed chunk (ciphertext || tag) and writes the plaintext into `out` at `offset` only
 * once the tag has verified. Throws SEAL_INTEGRITY naming the chunk.
 */
export function decryptChunkInto(
  chunkKey: Uint8Array,
  headerHash: Uint8Array,
  index: number,
  last: boolean,
  sealed: Uint8Array,
  out: Uint8Array,
  offset: number,
): number {
  const plain = decryptChunk(chunkKey, headerHash, index, last, sealed);
  out.set(plain, offset);
  return plain.length;
}

/** Decrypts one sealed chunk (ciphertext || tag); the result exists only if the tag verified. */
export function decryptChunk(
  chunkKey: Uint8Array,
  headerHash: Uint8Array,
  index: number,
  last: boolean,
  sealed: Uint8Array,
): Buffer {
  if (sealed.length < TAG_LENGTH) {
    throw integrityFailed(
      `chunk ${index} is ${sealed.length} bytes, shorter than its ${TAG_LENGTH}-byte tag`,
    );
  }
  const bodyLength = sealed.length - TAG_LENGTH;
  const decipher = createDecipheriv("aes-256-gcm", chunkKey, chunkNonce(index), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(chunkAad(headerHash, index, last));
  decipher.setAuthTag(sealed.subarray(bodyLength));
  const plain = decipher.update(sealed.subarray(0, bodyLength));
  try {
    decipher.final();
  } catch (cause) {
    // GCM's update() has already produced unverified plaintext: destroy it before reporting.
    plain.fill(0);
    throw integrityFailed(`chunk ${index} failed authentication (tampered, moved, truncated or wrong file)`, {
      index,
      last,
      cause: String(cause),
    });
  }
  return plain;
}
