/**
 * HPKE (RFC 9180) for end-to-end uploads (runs in the provider's client and inside the TEE): base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, through @hpke/core (WebCrypto underneath).
 * A provider seals a per-upload content key (or data) to the Privacy Plane's attested ingest key;
 * `info` = len(label) || label || len(datasetId) || datasetId binds the purpose and the dataset, so a
 * ciphertext made for one dataset or purpose cannot be opened as another.
 */
import { Cce4longError } from "@cce4long/protocol";
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { lengthPrefixed } from "./keys/derive";
import { HPKE_INFO } from "./keys/labels";
import { assertDatasetId } from "./keys/paths";
import { wipe } from "./keys/wipe";

/** WebCrypto key handle as @hpke/core returns it (kept opaque; no DOM types needed). */
type HpkeKey = Awaited<ReturnType<CipherSuite["kem"]["deserializePublicKey"]>>;

export type HpkePurpose = keyof typeof HPKE_INFO;

export interface HpkeContext {
  purpose: HpkePurpose;
  datasetId: string;
}

export interface HpkeSealed {
  /** The encapsulated key (the sender's ephemeral X25519 public key), 32 bytes. */
  enc: Uint8Array;
  /** AES-256-GCM ciphertext with its 16-byte tag. */
  ciphertext: Uint8Array;
}

export const HPKE_ENC_BYTES = 32;
export const CONTENT_KEY_BYTES = 32;

/** The one cipher suite cce4long uses for HPKE; the ids (0x0020, 0x0001, 0x0002) go into the spec. */
export function cce4longHpkeSuite(): CipherSuite {
  return new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
}

export function hpkeInfo(context: HpkeContext): Uint8Array {
  if (!Object.hasOwn(HPKE_INFO, context.purpose)) {
    throw new Cce4longError("VALIDATION_FAILED", "Unknown HPKE purpose", {
      detail: { purpose: context.purpose },
    });
  }
  assertDatasetId(context.datasetId);
  return lengthPrefixed(HPKE_INFO[context.purpose], context.datasetId);
}

/** Single-shot seal of `plaintext` to a recipient's raw 32-byte X25519 public key. */
export async function hpkeSeal(options: {
  recipientPublicKey: Uint8Array;
  context: HpkeContext;
  plaintext: Uint8Array;
  aad?: Uint8Array;
}): Promise<HpkeSealed> {
  const suite = cce4longHpkeSuite();
  const info = hpkeInfo(options.context);
  const recipientPublicKey = await importPublicKey(suite, options.recipientPublicKey);
  const sealed = await suite.seal({ recipientPublicKey, info }, options.plaintext, options.aad);
  return { enc: new Uint8Array(sealed.enc), ciphertext: new Uint8Array(sealed.ct) };
}

/**
 * Single-shot open with the recipient's raw 32-byte X25519 private key. Any failure (wrong key, other
 * dataset or purpose, other AAD, altered byte) is the same KEY_UNWRAP_FAILED: the caller learns nothing more.
 */
export async function hpkeOpen(options: {
  recipientPrivateKey: Uint8Array;
  context: HpkeContext;
  sealed: HpkeSealed;
  aad?: Uint8Array;
}): Promise<Uint8Array> {
  const suite = cce4longHpkeSuite();
  const info = hpkeInfo(options.context);
  if (options.sealed.enc.length !== HPKE_ENC_BYTES) {
    throw new Cce4longError("KEY_UNWRAP_FAILED", `HPKE enc must be ${HPKE_ENC_BYTES} bytes`, {
      detail: { length: options.sealed.enc.length },
    });
  }
  const recipientKey = await importPrivateKey(suite, options.recipientPrivateKey);
  try {
    const plaintext = await suite.open(
      { recipientKey, enc: options.sealed.enc, info },
      options.sealed.ciphertext,
      options.aad,
    );
    return new Uint8Array(plaintext);
  } catch (cause) {
    throw new Cce4longError("KEY_UNWRAP_FAILED", "HPKE ciphertext could not be opened", {
      cause,
      detail: { purpose: options.context.purpose, datasetId: options.context.datasetId },
    });
  }
}

/** A provider's client: seals a fresh 32-byte per-upload content key to the ingest key. */
export async function sealContentKey(options: {
  ingestPublicKey: Uint8Array;
  datasetId: string;
  contentKey: Uint8Array;
  aad?: Uint8Array;
}): Promise<HpkeSealed> {
  if (options.contentKey.length !== CONTENT_KEY_BYTES) {
    throw new Cce4longError("VALIDATION_FAILED", `Content key must be ${CONTENT_KEY_BYTES} bytes`);
  }
  return hpkeSeal({
    recipientPublicKey: options.ingestPublicKey,
    context: { purpose: "UPLOAD_CONTENT_KEY", datasetId: options.datasetId },
    plaintext: options.contentKey,
    aad: options.aad,
  });
}

/** The Privacy Plane: opens a sealed content key with the ingest private key; exactly 32 bytes or an error. */
export async function openContentKey(options: {
  ingestPrivateKey: Uint8Array;
  datasetId: string;
  sealed: HpkeSealed;
  aad?: Uint8Array;
}): Promise<Uint8Array> {
  const key = await hpkeOpen({
    recipientPrivateKey: options.ingestPrivateKey,
    context: { purpose: "UPLOAD_CONTENT_KEY", datasetId: options.datasetId },
    sealed: options.sealed,
    aad: options.aad,
  });
  if (key.length !== CONTENT_KEY_BYTES) {
    wipe(key);
    throw new Cce4longError("KEY_UNWRAP_FAILED", `Opened content key is not ${CONTENT_KEY_BYTES} bytes`);
  }
  return key;
}

async function importPublicKey(suite: CipherSuite, raw: Uint8Array): Promise<HpkeKey> {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) {
    throw new Cce4longError("VALIDATION_FAILED", "HPKE recipient public key must be 32 bytes (X25519)", {
      detail: { length: raw?.length },
    });
  }
  try {
    return await suite.kem.deserializePublicKey(raw);
  } catch (cause) {
    throw new Cce4longError("VALIDATION_FAILED", "HPKE recipient public key is not a valid X25519 key", {
      cause,
    });
  }
}

async function importPrivateKey(suite: CipherSuite, raw: Uint8Array): Promise<HpkeKey> {
  if (!(raw instanceof Uint8Array) || raw.length !== 32) {
    throw new Cce4longError("SEAL_KEY_INVALID", "HPKE recipient private key must be 32 bytes (X25519)");
  }
  // Imported into WebCrypto, which keeps its own copy: the caller still wipes its own buffer.
  try {
    return await suite.kem.deserializePrivateKey(raw);
  } catch (cause) {
    throw new Cce4longError("SEAL_KEY_INVALID", "HPKE recipient private key is not a valid X25519 key", {
      cause,
    });
  }
}
