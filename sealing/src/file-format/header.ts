/**
 * Encodes and parses the version-1 header (docs/encrypted-file-format.md, section 4). No crypto here:
 * parsing checks structure only, so its result is unauthenticated until begin-read.ts verifies it.
 */
import {
  DATASET_ID_MAX_LENGTH,
  DATASET_ID_PATTERN,
  FILE_ID_LENGTH,
  FORMAT_VERSION,
  HEADER_FIXED_TAIL_LENGTH,
  HEADER_MAC_LENGTH,
  HEADER_PREFIX_LENGTH,
  KEY_CHECK_LENGTH,
  MAGIC,
  MAX_CHUNK_SIZE,
  MAX_KEY_VERSION,
  MAX_PLAINTEXT_LENGTH,
  MIN_CHUNK_SIZE,
} from "./constants";
import { formatInvalid, versionUnsupported } from "./errors";

/** The header's fields. `keyCheck` and `headerMac` are public values, not secrets. */
export interface FileHeader {
  version: typeof FORMAT_VERSION;
  datasetId: string;
  keyVersion: number;
  chunkSize: number;
  plaintextLength: number;
  fileId: Uint8Array;
  keyCheck: Uint8Array;
  headerMac: Uint8Array;
}

/** The fields a writer chooses (key_check and the MAC are computed from the key). */
export type HeaderFields = Pick<
  FileHeader,
  "datasetId" | "keyVersion" | "chunkSize" | "plaintextLength" | "fileId"
>;

export interface ParsedHeader {
  header: FileHeader;
  /** Exactly the header's bytes (H of them), MAC included. */
  bytes: Uint8Array;
}

export function headerLength(datasetId: string): number {
  return HEADER_PREFIX_LENGTH + datasetId.length + HEADER_FIXED_TAIL_LENGTH;
}

/** Checks the writer-chosen fields with the same rules and messages a reader applies. */
export function validateHeaderFields(fields: HeaderFields): void {
  if (typeof fields.datasetId !== "string" || !DATASET_ID_PATTERN.test(fields.datasetId)) {
    throw formatInvalid(`dataset id must be 1 to ${DATASET_ID_MAX_LENGTH} characters of A-Z a-z 0-9 . _ : -`);
  }
  if (!Number.isInteger(fields.keyVersion) || fields.keyVersion < 1 || fields.keyVersion > MAX_KEY_VERSION) {
    throw formatInvalid(
      `key version must be an integer from 1 to ${MAX_KEY_VERSION}, got ${fields.keyVersion}`,
    );
  }
  if (
    !Number.isInteger(fields.chunkSize) ||
    fields.chunkSize < MIN_CHUNK_SIZE ||
    fields.chunkSize > MAX_CHUNK_SIZE
  ) {
    throw formatInvalid(
      `chunk size must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}, got ${fields.chunkSize}`,
    );
  }
  if (
    !Number.isInteger(fields.plaintextLength) ||
    fields.plaintextLength < 0 ||
    fields.plaintextLength > MAX_PLAINTEXT_LENGTH
  ) {
    throw formatInvalid(
      `plaintext length must be an integer from 0 to ${MAX_PLAINTEXT_LENGTH}, got ${fields.plaintextLength}`,
    );
  }
  if (!(fields.fileId instanceof Uint8Array) || fields.fileId.length !== FILE_ID_LENGTH) {
    throw formatInvalid(`file id must be ${FILE_ID_LENGTH} bytes, got ${fields.fileId?.length}`);
  }
}

/**
 * Encodes the header with its key check, leaving the last 32 bytes (the MAC) zero for the caller to fill:
 * the MAC covers every byte before it.
 */
export function encodeHeaderWithoutMac(fields: HeaderFields, keyCheck: Uint8Array): Uint8Array {
  validateHeaderFields(fields);
  if (keyCheck.length !== KEY_CHECK_LENGTH) {
    throw formatInvalid(`key check must be ${KEY_CHECK_LENGTH} bytes, got ${keyCheck.length}`);
  }
  const n = fields.datasetId.length;
  const out = new Uint8Array(headerLength(fields.datasetId));
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[8] = FORMAT_VERSION;
  out[9] = n;
  for (let i = 0; i < n; i++) out[10 + i] = fields.datasetId.charCodeAt(i);
  let at = 10 + n;
  view.setUint32(at, fields.keyVersion);
  view.setUint32(at + 4, fields.chunkSize);
  view.setBigUint64(at + 8, BigInt(fields.plaintextLength));
  at += 16;
  out.set(fields.fileId, at);
  out.set(keyCheck, at + FILE_ID_LENGTH);
  return out;
}

/** Where the MAC sits in a header of length `length`. */
export function macOffset(length: number): number {
  return length - HEADER_MAC_LENGTH;
}

/**
 * Checks the first 10 bytes (spec section 7 steps 1 to 4) and returns the header's full length H.
 * Throws SEAL_FORMAT_INVALID or SEAL_VERSION_UNSUPPORTED.
 */
export function parseHeaderPrefix(bytes: Uint8Array): number {
  if (bytes.length < HEADER_PREFIX_LENGTH) {
    throw formatInvalid(`header: expected at least ${HEADER_PREFIX_LENGTH} bytes, got ${bytes.length}`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i])
      throw formatInvalid("not a cce4long encrypted file (magic bytes do not match)");
  }
  const version = bytes[8]!;
  if (version !== FORMAT_VERSION) throw versionUnsupported(version);
  const n = bytes[9]!;
  if (n < 1 || n > DATASET_ID_MAX_LENGTH) {
    throw formatInvalid(`header: dataset id length must be 1 to ${DATASET_ID_MAX_LENGTH}, got ${n}`);
  }
  return HEADER_PREFIX_LENGTH + n + HEADER_FIXED_TAIL_LENGTH;
}

/**
 * Parses a header from the start of `bytes` (which may hold more of the file after it).
 * Checks spec section 7 steps 1 to 6; throws SEAL_FORMAT_INVALID or SEAL_VERSION_UNSUPPORTED.
 */
export function parseHeader(bytes: Uint8Array): ParsedHeader {
  const length = parseHeaderPrefix(bytes);
  const n = bytes[9]!;
  if (bytes.length < length) {
    throw formatInvalid(`header: expected ${length} bytes, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const datasetId = String.fromCharCode(...bytes.subarray(10, 10 + n));
  let at = 10 + n;
  const keyVersion = view.getUint32(at);
  const chunkSize = view.getUint32(at + 4);
  const bigLength = view.getBigUint64(at + 8);
  if (bigLength > BigInt(MAX_PLAINTEXT_LENGTH)) {
    throw formatInvalid(
      `plaintext length must be an integer from 0 to ${MAX_PLAINTEXT_LENGTH}, got ${bigLength}`,
    );
  }
  at += 16;
  // Plain Uint8Array copies: Buffer#slice would return views into the caller's memory.
  const copy = (from: number, size: number) => new Uint8Array(bytes.subarray(from, from + size));
  const header: FileHeader = {
    version: FORMAT_VERSION,
    datasetId,
    keyVersion,
    chunkSize,
    plaintextLength: Number(bigLength),
    fileId: copy(at, FILE_ID_LENGTH),
    keyCheck: copy(at + FILE_ID_LENGTH, KEY_CHECK_LENGTH),
    headerMac: copy(at + FILE_ID_LENGTH + KEY_CHECK_LENGTH, HEADER_MAC_LENGTH),
  };
  validateHeaderFields(header);
  return { header, bytes: new Uint8Array(bytes.subarray(0, length)) };
}
