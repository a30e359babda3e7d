/**
 * Random access: decrypt plaintext bytes [start, end) reading only the header and the chunks that cover
 * them (docs/encrypted-file-format.md, section 7). What the decrypting FUSE uses. Runs in trusted code only.
 */
import { Cce4longError } from "@cce4long/protocol";
import { beginRead } from "./begin-read";
import { HEADER_MAX_LENGTH, TAG_LENGTH } from "./constants";
import { integrityFailed } from "./errors";
import { type FileHeader, parseHeader } from "./header";
import type { RandomAccessReader } from "./reader";

export interface SealedFile {
  /** The authenticated header. */
  readonly header: FileHeader;
  readonly plaintextLength: number;
  /** Decrypts plaintext [start, end), 0 <= start <= end <= plaintextLength; all-or-nothing. */
  read(start: number, end: number): Promise<Uint8Array>;
  /**
   * Decrypts plaintext [start, end) straight into `target` at 0 (no intermediate buffer: what the
   * decrypting FUSE hands the kernel). On an integrity failure `target` is zeroed and the error thrown.
   */
  readInto(start: number, end: number, target: Uint8Array): Promise<number>;
  /** Wipes the per-file key. Reads after close fail. */
  close(): void;
}

/** Reads and verifies the header (key check, MAC, exact file size) once; then reads ranges. */
export async function openSealedFile(reader: RandomAccessReader, key: Uint8Array): Promise<SealedFile> {
  const head = await reader.read(0, Math.min(reader.size, HEADER_MAX_LENGTH));
  const session = beginRead(parseHeader(head), key);
  if (reader.size !== session.encryptedLength) {
    session.close();
    throw integrityFailed(
      `file is ${reader.size} bytes but its header requires ${session.encryptedLength} (truncated or extended)`,
    );
  }
  const { chunkSize, plaintextLength } = session.header;
  function checkRange(start: number, end: number): void {
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      start > end ||
      end > plaintextLength
    ) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `range [${start}, ${end}) is not within the plaintext [0, ${plaintextLength})`,
      );
    }
  }
  async function readRange(start: number, end: number, out: Uint8Array): Promise<number> {
    checkRange(start, end);
    if (out.length < end - start) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `the target holds ${out.length} bytes, the range ${end - start}`,
      );
    }
    if (start === end) return 0;
    const first = Math.floor(start / chunkSize);
    const last = Math.floor((end - 1) / chunkSize);
    const from = session.chunkOffset(first);
    const length = session.chunkOffset(last) + session.plainLength(last) + TAG_LENGTH - from;
    const sealed = await reader.read(from, length);
    if (sealed.length !== length) {
      throw integrityFailed(
        `chunks ${first}..${last}: read ${sealed.length} of ${length} bytes (file shrank?)`,
      );
    }
    try {
      for (let i = first; i <= last; i++) {
        const at = session.chunkOffset(i) - from;
        const plain = session.decryptChunk(i, sealed.subarray(at, at + session.plainLength(i) + TAG_LENGTH));
        const chunkStart = i * chunkSize;
        const lo = Math.max(start, chunkStart) - chunkStart;
        const hi = Math.min(end, chunkStart + plain.length) - chunkStart;
        out.set(plain.subarray(lo, hi), chunkStart + lo - start);
        plain.fill(0);
      }
    } catch (error) {
      out.fill(0, 0, end - start);
      throw error;
    }
    return end - start;
  }
  return {
    header: session.header,
    plaintextLength,
    async read(start, end) {
      checkRange(start, end);
      const out = new Uint8Array(end - start);
      await readRange(start, end, out);
      return out;
    },
    readInto: (start, end, target) => readRange(start, end, target),
    close: () => session.close(),
  };
}

/** One-shot range decrypt: open, read [start, end), close. */
export async function decryptRange(
  reader: RandomAccessReader,
  key: Uint8Array,
  start: number,
  end: number,
): Promise<Uint8Array> {
  const file = await openSealedFile(reader, key);
  try {
    return await file.read(start, end);
  } finally {
    file.close();
  }
}
