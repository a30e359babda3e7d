/**
 * The upload envelope (docs/upload-envelope.md): how a provider's client encrypts one file to the
 * Privacy Plane's attested ingest key. Sealing runs on the provider's machine (cli/src/sdk), opening
 * inside the TEE. A 93-byte prefix carries an HPKE-sealed random content key; the payload is a cce4long
 * encrypted file (docs/encrypted-file-format.md) of the plaintext under that content key.
 */
import { randomBytes } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import { encryptedFileLength, headerLength } from "@cce4long/sealing";
import { beginWriteWithFileId } from "@cce4long/sealing/file-format/begin-write";
import { CONTENT_KEY_BYTES, HPKE_ENC_BYTES, openContentKey, sealContentKey } from "@cce4long/sealing/hpke";

/** 0x89 then ASCII "CCE4LUP": the high bit keeps it from ever looking like text. */
export const ENVELOPE_MAGIC = Uint8Array.from([0x89, 0x43, 0x43, 0x45, 0x34, 0x4c, 0x55, 0x50]);
export const ENVELOPE_VERSION = 1;
/** AES-256-GCM of the 32-byte content key plus its 16-byte tag. */
export const SEALED_CONTENT_KEY_BYTES = CONTENT_KEY_BYTES + 16;
/** magic (8) || version (1) || ingest key version (4) || enc (32) || sealed content key (48). */
export const ENVELOPE_PREFIX_BYTES = 8 + 1 + 4 + HPKE_ENC_BYTES + SEALED_CONTENT_KEY_BYTES;
/** The bytes of the prefix that go into the HPKE associated data (magic, version, key version). */
const BOUND_PREFIX_BYTES = 13;
/** The payload's chunk size: the file format's default. */
export const ENVELOPE_CHUNK_SIZE = 65_536;
/** The payload's file id length (docs/encrypted-file-format.md, section 4). */
const FILE_ID_BYTES = 16;
/** The file-format key version written in the payload header: a content key has no versions. */
const PAYLOAD_KEY_VERSION = 1;

/** What binds one envelope to one file of one upload: a sealed key cannot be moved to another. */
export interface EnvelopeContext {
  datasetId: string;
  uploadId: string;
  path: string;
}

export interface EnvelopePrefix {
  ingestKeyVersion: number;
  enc: Uint8Array;
  sealedContentKey: Uint8Array;
  /** The first 13 bytes, bound into the HPKE associated data. */
  bound: Uint8Array;
}

/** Size of the staged object for a plaintext of `plaintextLength` bytes. */
export function envelopeLength(datasetId: string, plaintextLength: number): number {
  return (
    ENVELOPE_PREFIX_BYTES + encryptedFileLength(headerLength(datasetId), plaintextLength, ENVELOPE_CHUNK_SIZE)
  );
}

/**
 * aad = prefix[0..13) || lp(datasetId) || lp(uploadId) || lp(path), lp = u32 big-endian length || UTF-8.
 * (The dataset id is also in HPKE's info; repeating it here costs nothing and keeps the AAD self-contained.)
 */
export function envelopeAad(bound: Uint8Array, context: EnvelopeContext): Uint8Array {
  const fields = [context.datasetId, context.uploadId, context.path].map((s) => new TextEncoder().encode(s));
  const out = new Uint8Array(bound.length + fields.reduce((n, f) => n + 4 + f.length, 0));
  out.set(bound, 0);
  let at = bound.length;
  const view = new DataView(out.buffer);
  for (const field of fields) {
    view.setUint32(at, field.length);
    out.set(field, at + 4);
    at += 4 + field.length;
  }
  return out;
}

/** What makes one envelope's bytes: secret (content key) and random choices, fixed once per file. */
export interface EnvelopeMaterials {
  /** The 93-byte prefix (public). */
  prefix: Uint8Array;
  /** The 32-byte content key (secret: wipe it, or keep it only where the plaintext itself is kept). */
  contentKey: Uint8Array;
  /** The payload's file id (16 bytes). */
  payloadFileId: Uint8Array;
}

/** Provider side: draws the content key and payload file id and seals the key to the ingest key. */
export async function prepareEnvelope(
  options: EnvelopeContext & { ingestPublicKey: Uint8Array; ingestKeyVersion: number },
): Promise<EnvelopeMaterials> {
  const bound = new Uint8Array(BOUND_PREFIX_BYTES);
  bound.set(ENVELOPE_MAGIC, 0);
  bound[8] = ENVELOPE_VERSION;
  new DataView(bound.buffer).setUint32(9, options.ingestKeyVersion);
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  const sealed = await sealContentKey({
    ingestPublicKey: options.ingestPublicKey,
    datasetId: options.datasetId,
    contentKey,
    aad: envelopeAad(bound, options),
  });
  const prefix = new Uint8Array(ENVELOPE_PREFIX_BYTES);
  prefix.set(bound, 0);
  prefix.set(sealed.enc, BOUND_PREFIX_BYTES);
  prefix.set(sealed.ciphertext, BOUND_PREFIX_BYTES + HPKE_ENC_BYTES);
  return {
    prefix,
    contentKey: new Uint8Array(contentKey),
    payloadFileId: new Uint8Array(randomBytes(FILE_ID_BYTES)),
  };
}

/**
 * The envelope's bytes for `source` (exactly `plaintextLength` bytes). Deterministic given the
 * materials and the plaintext, which is what lets an interrupted upload regenerate the very bytes of
 * the parts it already sent. The same materials must never be used for a different plaintext (that
 * would reuse GCM nonces under the content key): callers check the source's hash before reusing them.
 */
export async function* envelopeStream(
  materials: EnvelopeMaterials,
  source: AsyncIterable<Uint8Array>,
  options: { datasetId: string; plaintextLength: number },
): AsyncGenerator<Uint8Array> {
  yield materials.prefix;
  const writer = beginWriteWithFileId(
    {
      key: materials.contentKey,
      datasetId: options.datasetId,
      keyVersion: PAYLOAD_KEY_VERSION,
      chunkSize: ENVELOPE_CHUNK_SIZE,
    },
    options.plaintextLength,
    materials.payloadFileId,
  );
  const pending = Buffer.allocUnsafe(Math.min(ENVELOPE_CHUNK_SIZE, Math.max(1, options.plaintextLength)));
  let filled = 0;
  let index = 0;
  let seen = 0;
  try {
    yield writer.headerBytes;
    for await (const piece of source) {
      seen += piece.length;
      if (seen > options.plaintextLength) throw invalid("the file is longer than when the upload started");
      let at = 0;
      while (at < piece.length) {
        const count = Math.min(ENVELOPE_CHUNK_SIZE - filled, piece.length - at);
        pending.set(piece.subarray(at, at + count), filled);
        filled += count;
        at += count;
        if (filled === ENVELOPE_CHUNK_SIZE) {
          yield* writer.encryptChunkParts(index++, pending);
          filled = 0;
        }
      }
    }
    if (seen !== options.plaintextLength) throw invalid("the file is shorter than when the upload started");
    if (filled > 0 || index === 0) yield* writer.encryptChunkParts(index++, pending.subarray(0, filled));
  } finally {
    pending.fill(0);
    writer.close();
  }
}

/** prepareEnvelope + envelopeStream for a one-shot upload; the content key is wiped at the end. */
export async function* sealEnvelope(
  source: AsyncIterable<Uint8Array>,
  options: EnvelopeContext & {
    ingestPublicKey: Uint8Array;
    ingestKeyVersion: number;
    plaintextLength: number;
  },
): AsyncGenerator<Uint8Array> {
  const materials = await prepareEnvelope(options);
  try {
    yield* envelopeStream(materials, source, options);
  } finally {
    materials.contentKey.fill(0);
  }
}

/** Parses the fixed prefix (no key needed); throws UPLOAD_ENVELOPE_INVALID naming what is wrong. */
export function parseEnvelopePrefix(bytes: Uint8Array): EnvelopePrefix {
  if (bytes.length < ENVELOPE_PREFIX_BYTES) {
    throw invalid(`envelope is shorter than its ${ENVELOPE_PREFIX_BYTES}-byte prefix`, {
      length: bytes.length,
    });
  }
  if (!ENVELOPE_MAGIC.every((b, i) => bytes[i] === b))
    throw invalid("not an upload envelope (magic missing)");
  if (bytes[8] !== ENVELOPE_VERSION)
    throw invalid("unsupported upload envelope version", { version: bytes[8] });
  const ingestKeyVersion = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(9);
  if (ingestKeyVersion < 1) throw invalid("ingest key version must be at least 1");
  return {
    ingestKeyVersion,
    bound: bytes.slice(0, BOUND_PREFIX_BYTES),
    enc: bytes.slice(BOUND_PREFIX_BYTES, BOUND_PREFIX_BYTES + HPKE_ENC_BYTES),
    sealedContentKey: bytes.slice(BOUND_PREFIX_BYTES + HPKE_ENC_BYTES, ENVELOPE_PREFIX_BYTES),
  };
}

/**
 * Privacy Plane side: opens the content key with the ingest private key of `prefix.ingestKeyVersion`.
 * Any mismatch (other key, dataset, upload or path, altered prefix) is one UPLOAD_ENVELOPE_INVALID.
 */
export async function openEnvelopeKey(
  prefix: EnvelopePrefix,
  ingestPrivateKey: Uint8Array,
  context: EnvelopeContext,
): Promise<Uint8Array> {
  try {
    return await openContentKey({
      ingestPrivateKey,
      datasetId: context.datasetId,
      sealed: { enc: prefix.enc, ciphertext: prefix.sealedContentKey },
      aad: envelopeAad(prefix.bound, context),
    });
  } catch (cause) {
    throw invalid(
      "the upload envelope's content key does not open for this dataset, upload and path",
      {},
      cause,
    );
  }
}

function invalid(message: string, detail: Record<string, unknown> = {}, cause?: unknown): Cce4longError {
  return new Cce4longError("UPLOAD_ENVELOPE_INVALID", message, { detail, cause });
}
