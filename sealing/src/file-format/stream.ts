/**
 * Streaming encrypt and decrypt with memory bounded by one chunk (plus the source's own pieces).
 * Both are async generators, so they plug into `stream.pipeline(src, (s) => encryptStream(s, o), dst)`.
 * Runs in trusted code only (Privacy Plane ingest, CLI).
 */
import { beginRead, type FileReaderSession } from "./begin-read";
import { beginWrite, type EncryptOptions } from "./begin-write";
import { ByteQueue } from "./byte-queue";
import { HEADER_PREFIX_LENGTH, TAG_LENGTH } from "./constants";
import { formatInvalid, integrityFailed } from "./errors";
import { type FileHeader, parseHeader, parseHeaderPrefix } from "./header";

export interface StreamEncryptOptions extends EncryptOptions {
  /** The header records the length, so it must be known up front; the stream must match it exactly. */
  plaintextLength: number;
}

/** Encrypts a plaintext byte stream into an encrypted file's byte stream (header first). */
export async function* encryptStream(
  source: AsyncIterable<Uint8Array>,
  options: StreamEncryptOptions,
): AsyncGenerator<Uint8Array> {
  const declared = options.plaintextLength;
  const writer = beginWrite(options, declared);
  const size = writer.header.chunkSize;
  const pending = Buffer.allocUnsafe(Math.min(size, declared));
  let filled = 0;
  let index = 0;
  let seen = 0;
  const seal = (plain: Uint8Array) => writer.encryptChunkParts(index++, plain);
  try {
    yield writer.headerBytes;
    for await (const piece of source) {
      seen += piece.length;
      if (seen > declared)
        throw formatInvalid(`plaintext stream is longer than the declared ${declared} bytes`);
      let at = 0;
      while (at < piece.length) {
        if (filled === 0 && piece.length - at >= size) {
          yield* seal(piece.subarray(at, at + size)); // aligned input: no copy into `pending`
          at += size;
          continue;
        }
        const count = Math.min(size - filled, piece.length - at);
        pending.set(piece.subarray(at, at + count), filled);
        filled += count;
        at += count;
        if (filled === size) {
          yield* seal(pending);
          filled = 0;
        }
      }
    }
    if (seen !== declared) {
      throw formatInvalid(`plaintext stream ended after ${seen} bytes; ${declared} were declared`);
    }
    if (filled > 0 || index === 0) yield* seal(pending.subarray(0, filled));
    if (index !== writer.chunkCount)
      throw new Error(`encryptStream wrote ${index} of ${writer.chunkCount} chunks`);
  } finally {
    pending.fill(0);
    writer.close();
  }
}

export interface StreamDecryptOptions {
  /** Called once the header has been authenticated, before any plaintext is produced. */
  onHeader?: (header: FileHeader) => void;
}

/**
 * Decrypts an encrypted file's byte stream, yielding each chunk's plaintext once its tag verified.
 * Output before an error is provisional: a consumer must discard it if the generator throws (spec 7).
 */
export async function* decryptStream(
  source: AsyncIterable<Uint8Array>,
  key: Uint8Array,
  options: StreamDecryptOptions = {},
): AsyncGenerator<Uint8Array> {
  const queue = new ByteQueue();
  let session: FileReaderSession | undefined;
  let index = 0;
  const frame = (i: number) => session!.plainLength(i) + TAG_LENGTH;
  try {
    for await (const piece of source) {
      queue.push(piece);
      if (session === undefined) {
        if (queue.length < HEADER_PREFIX_LENGTH) continue;
        // Magic and version are checked as soon as they arrive, so garbage fails fast.
        const headerLength = parseHeaderPrefix(queue.peek(HEADER_PREFIX_LENGTH));
        if (queue.length < headerLength) continue;
        session = beginRead(parseHeader(queue.take(headerLength)), key);
        options.onHeader?.(session.header);
      }
      while (index < session.chunkCount && queue.length >= frame(index)) {
        yield session.decryptChunk(index, queue.take(frame(index)));
        index++;
      }
      if (index === session.chunkCount && queue.length > 0) {
        throw integrityFailed(
          `data follows the last chunk (file longer than its header's ${session.encryptedLength} bytes)`,
        );
      }
    }
    if (session === undefined) throw parseFailure(queue);
    if (index < session.chunkCount) {
      throw integrityFailed(
        `file ends inside chunk ${index} of ${session.chunkCount} (truncated; expected ${session.encryptedLength} bytes)`,
      );
    }
  } finally {
    session?.close();
  }
}

/** The stream ended before a whole header: let the parser say precisely what is wrong. */
function parseFailure(queue: ByteQueue): Error {
  try {
    parseHeader(queue.take(queue.length));
  } catch (error) {
    return error as Error;
  }
  return formatInvalid("header incomplete");
}
