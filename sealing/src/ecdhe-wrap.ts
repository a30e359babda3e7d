/**
 * ECDHE key release wrap (runs inside the TEE to wrap, in the Computing Plane VM's boot agent to unwrap):
 * a dataset key sealed to the VM's ephemeral X25519 public key, the one bound into its quote's report_data.
 * X25519 (node:crypto) + HKDF-SHA256 + AES-256-GCM; the job, credential nonce, dataset and key version are
 * associated data, so a wrap released for one job cannot be presented as another's.
 *
 * Wrapped key, version 1, exactly 93 bytes:
 *   [0]      0x01 version
 *   [1..33)  sender's ephemeral X25519 public key (fresh per wrap)
 *   [33..45) AES-GCM nonce (random)
 *   [45..93) AES-256-GCM ciphertext of the 32-byte key || 16-byte tag
 * wrapping key = HKDF-SHA256(IKM = X25519(eph, recipient), salt = eph_pub || recipient_pub,
 *                            info = ECDHE_WRAP_HKDF_LABEL), 32 bytes
 * AAD = length-prefixed(ECDHE_WRAP_AAD_LABEL, 0x01, eph_pub, recipient_pub, job id, credential nonce,
 *                       dataset id, decimal key version)
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import {
  lengthPrefixed,
  x25519PrivateKeyObject,
  x25519PublicKeyObject,
  x25519RawPublicKey,
} from "./keys/derive";
import { ECDHE_WRAP_AAD_LABEL, ECDHE_WRAP_HKDF_LABEL } from "./keys/labels";
import { assertDatasetId, assertKeyVersion } from "./keys/paths";
import { wipe } from "./keys/wipe";

export const WRAP_VERSION = 0x01;
export const WRAPPED_KEY_BYTES = 93;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** What a key release is for: all of it is authenticated, none of it is secret. */
export interface KeyReleaseContext {
  jobId: string;
  /** The Job Credential's single-use nonce (the one also bound into the quote's report_data). */
  credentialNonce: Uint8Array;
  datasetId: string;
  keyVersion: number;
}

export interface EphemeralKeyPair {
  /** 32 bytes, secret: wipe after unwrapping. */
  privateKey: Uint8Array;
  /** 32 bytes: goes into report_data and the key request. */
  publicKey: Uint8Array;
}

/** The VM's side: a fresh X25519 key pair for one key request. */
export function generateEphemeralKeyPair(): EphemeralKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  const raw = new Uint8Array(pkcs8.subarray(pkcs8.length - KEY_BYTES));
  pkcs8.fill(0);
  return { privateKey: raw, publicKey: x25519RawPublicKey(publicKey) };
}

/** The Privacy Plane's side: wraps a 32-byte dataset key to the VM's ephemeral public key. */
export function wrapDatasetKey(options: {
  datasetKey: Uint8Array;
  recipientPublicKey: Uint8Array;
  context: KeyReleaseContext;
}): Uint8Array {
  if (options.datasetKey.length !== KEY_BYTES) {
    throw new Cce4longError("SEAL_KEY_INVALID", `Dataset key must be ${KEY_BYTES} bytes`);
  }
  const recipient = x25519PublicKeyObject(options.recipientPublicKey);
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralPublicKey = x25519RawPublicKey(ephemeral.publicKey);
  const wrappingKey = deriveWrappingKey(
    () => diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }),
    ephemeralPublicKey,
    options.recipientPublicKey,
    "VALIDATION_FAILED",
  );
  try {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", wrappingKey, nonce);
    cipher.setAAD(associatedData(ephemeralPublicKey, options.recipientPublicKey, options.context));
    const ciphertext = Buffer.concat([
      cipher.update(options.datasetKey),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return Buffer.concat([Uint8Array.of(WRAP_VERSION), ephemeralPublicKey, nonce, ciphertext]);
  } finally {
    wipe(wrappingKey);
  }
}

/**
 * The VM's side: opens a wrapped key with its ephemeral private key. Every failure after the length
 * and version checks (wrong key, other job or nonce, altered byte) is the same KEY_UNWRAP_FAILED.
 */
export function unwrapDatasetKey(options: {
  wrapped: Uint8Array;
  recipientPrivateKey: Uint8Array;
  context: KeyReleaseContext;
}): Uint8Array {
  const { wrapped } = options;
  if (!(wrapped instanceof Uint8Array) || wrapped.length !== WRAPPED_KEY_BYTES) {
    throw new Cce4longError("KEY_UNWRAP_FAILED", `Wrapped key must be ${WRAPPED_KEY_BYTES} bytes`, {
      detail: { length: wrapped?.length },
    });
  }
  if (wrapped[0] !== WRAP_VERSION) {
    throw new Cce4longError("KEY_UNWRAP_FAILED", "Unsupported wrapped key version", {
      detail: { version: wrapped[0] },
    });
  }
  const ephemeralPublicKey = wrapped.subarray(1, 33);
  const nonce = wrapped.subarray(33, 33 + NONCE_BYTES);
  const ciphertext = wrapped.subarray(33 + NONCE_BYTES, WRAPPED_KEY_BYTES - TAG_BYTES);
  const tag = wrapped.subarray(WRAPPED_KEY_BYTES - TAG_BYTES);
  const privateKey = x25519PrivateKeyObject(options.recipientPrivateKey);
  const recipientPublicKey = x25519RawPublicKey(createPublicKey(privateKey));
  const wrappingKey = deriveWrappingKey(
    () => diffieHellman({ privateKey, publicKey: x25519PublicKeyObject(ephemeralPublicKey) }),
    ephemeralPublicKey,
    recipientPublicKey,
    "KEY_UNWRAP_FAILED",
  );
  try {
    const decipher = createDecipheriv("aes-256-gcm", wrappingKey, nonce);
    decipher.setAAD(associatedData(ephemeralPublicKey, recipientPublicKey, options.context));
    decipher.setAuthTag(tag);
    const key = decipher.update(ciphertext);
    try {
      decipher.final();
    } catch (cause) {
      key.fill(0);
      throw new Cce4longError("KEY_UNWRAP_FAILED", "Wrapped key could not be opened", {
        cause,
        detail: { jobId: options.context.jobId, datasetId: options.context.datasetId },
      });
    }
    return new Uint8Array(key.buffer, key.byteOffset, key.length);
  } finally {
    wipe(wrappingKey);
  }
}

function deriveWrappingKey(
  agree: () => Buffer,
  ephemeralPublicKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  failure: "VALIDATION_FAILED" | "KEY_UNWRAP_FAILED",
): Uint8Array {
  let shared: Buffer;
  try {
    // OpenSSL refuses an all-zero result (a low-order public key), so a malicious key cannot force it.
    shared = agree();
  } catch (cause) {
    throw new Cce4longError(failure, "X25519 key agreement failed (invalid public key)", { cause });
  }
  try {
    const salt = Buffer.concat([ephemeralPublicKey, recipientPublicKey]);
    return new Uint8Array(hkdfSync("sha256", shared, salt, ECDHE_WRAP_HKDF_LABEL, KEY_BYTES));
  } finally {
    shared.fill(0);
  }
}

function associatedData(
  ephemeralPublicKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  context: KeyReleaseContext,
) {
  if (typeof context.jobId !== "string" || context.jobId.length === 0 || context.jobId.length > 256) {
    throw new Cce4longError("VALIDATION_FAILED", "Key release job id must be 1 to 256 characters");
  }
  if (!(context.credentialNonce instanceof Uint8Array) || context.credentialNonce.length < 16) {
    throw new Cce4longError("VALIDATION_FAILED", "Key release credential nonce must be at least 16 bytes");
  }
  assertDatasetId(context.datasetId);
  assertKeyVersion(context.keyVersion);
  return lengthPrefixed(
    ECDHE_WRAP_AAD_LABEL,
    Uint8Array.of(WRAP_VERSION),
    ephemeralPublicKey,
    recipientPublicKey,
    context.jobId,
    context.credentialNonce,
    context.datasetId,
    String(context.keyVersion),
  );
}
