/**
 * Turns one staged upload envelope into one dataset file (runs inside the TEE): opens the content key,
 * decrypts the payload chunk by chunk in memory, and re-encrypts it under the dataset key in the file
 * format, streaming; plaintext exists only in the chunk being processed.
 */
import { Cce4longError } from "@cce4long/protocol";
import { decryptStream, encryptStream, type FileHeader, parseHeader } from "@cce4long/sealing";
import type { DatasetKey } from "@cce4long/sealing/keys/types";
import {
  ENVELOPE_PREFIX_BYTES,
  type EnvelopeContext,
  openEnvelopeKey,
  parseEnvelopePrefix,
} from "./envelope";

/** The dataset file's chunk size (the file format's default, what the FUSE reads best). */
export const DATASET_CHUNK_SIZE = 65_536;

export interface ReencryptOptions {
  /** The staged envelope's bytes. */
  source: AsyncIterable<Uint8Array>;
  context: EnvelopeContext;
  /** The ingest X25519 private key of a version (wiped by the caller's provider object). */
  ingestPrivateKey(version: number): Promise<Uint8Array>;
  datasetKey: DatasetKey;
  /** Sees each verified plaintext piece in order (row counting, table capture). Must not keep it. */
  observePlaintext?(piece: Uint8Array): void;
  /** Consumes the ciphertext stream (writes the object) and resolves once it is stored. */
  write(ciphertext: AsyncIterable<Uint8Array>): Promise<{ bytes: number; sha256: string }>;
}

export interface ReencryptedFile {
  fileId: string;
  keyVersion: number;
  chunkSize: number;
  plaintextBytes: number;
  ciphertextBytes: number;
  ciphertextSha256: string;
}

export async function reencryptEnvelope(options: ReencryptOptions): Promise<ReencryptedFile> {
  const iterator = options.source[Symbol.asyncIterator]();
  const { prefix, rest } = await takePrefix(iterator, ENVELOPE_PREFIX_BYTES);
  const parsed = parseEnvelopePrefix(prefix);
  const contentKey = await openEnvelopeKey(
    parsed,
    await options.ingestPrivateKey(parsed.ingestKeyVersion),
    options.context,
  );
  try {
    let payloadHeader: FileHeader | undefined;
    const plaintext = decryptStream(rest, contentKey, {
      onHeader: (header) => {
        payloadHeader = header;
      },
    });
    // The first piece arrives only after the payload header was authenticated: then the length is known.
    const first = await plaintext.next();
    if (payloadHeader === undefined) throw envelopeInvalid("the envelope's payload has no header");
    if (payloadHeader.datasetId !== options.context.datasetId) {
      throw envelopeInvalid("the envelope's payload names another dataset");
    }
    const observed = observe(first, plaintext, options.observePlaintext);
    let fileHeader: FileHeader | undefined;
    const ciphertext = tapFirst(
      encryptStream(observed, {
        key: options.datasetKey.key,
        datasetId: options.context.datasetId,
        keyVersion: options.datasetKey.keyVersion,
        chunkSize: DATASET_CHUNK_SIZE,
        plaintextLength: payloadHeader.plaintextLength,
      }),
      (headerBytes) => {
        fileHeader = parseHeader(headerBytes).header;
      },
    );
    const written = await options.write(ciphertext);
    if (fileHeader === undefined) throw new Error("re-encryption produced no header");
    return {
      fileId: Buffer.from(fileHeader.fileId).toString("hex"),
      keyVersion: fileHeader.keyVersion,
      chunkSize: fileHeader.chunkSize,
      plaintextBytes: fileHeader.plaintextLength,
      ciphertextBytes: written.bytes,
      ciphertextSha256: written.sha256,
    };
  } catch (error) {
    // Decryption errors of the provider's payload are the provider's problem, and say so.
    if (error instanceof Cce4longError && error.code.startsWith("SEAL_")) {
      throw envelopeInvalid(`the envelope's payload failed verification (${error.code})`, error);
    }
    throw error;
  } finally {
    contentKey.fill(0);
  }
}

async function* observe(
  first: IteratorResult<Uint8Array>,
  rest: AsyncGenerator<Uint8Array>,
  observer: ((piece: Uint8Array) => void) | undefined,
): AsyncGenerator<Uint8Array> {
  if (first.done) return;
  observer?.(first.value);
  yield first.value;
  for await (const piece of rest) {
    observer?.(piece);
    yield piece;
  }
}

async function* tapFirst(
  source: AsyncGenerator<Uint8Array>,
  onFirst: (piece: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  let first = true;
  for await (const piece of source) {
    if (first) {
      onFirst(piece);
      first = false;
    }
    yield piece;
  }
}

/** Reads exactly `length` bytes off the front of a stream; the rest continues from where it stopped. */
async function takePrefix(
  iterator: AsyncIterator<Uint8Array>,
  length: number,
): Promise<{ prefix: Uint8Array; rest: AsyncIterable<Uint8Array> }> {
  const prefix = new Uint8Array(length);
  let filled = 0;
  let leftover: Uint8Array | undefined;
  while (filled < length) {
    const next = await iterator.next();
    if (next.done) throw envelopeInvalid(`envelope is shorter than its ${length}-byte prefix`);
    const take = Math.min(length - filled, next.value.length);
    prefix.set(next.value.subarray(0, take), filled);
    filled += take;
    if (take < next.value.length) leftover = next.value.subarray(take);
  }
  const rest = (async function* () {
    if (leftover !== undefined) yield leftover;
    while (true) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  return { prefix, rest };
}

function envelopeInvalid(message: string, cause?: unknown): Cce4longError {
  return new Cce4longError("UPLOAD_ENVELOPE_INVALID", message, { cause });
}
