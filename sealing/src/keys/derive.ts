/**
 * Turns the 32 bytes dstack's GetKey returns into the keys cce4long uses (runs inside the TEE).
 * HKDF-SHA256 (node:crypto) with a label from labels.ts binds algorithm and use into each key;
 * X25519 public keys are computed by node:crypto. No primitive is written here.
 */
import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import { KEY_FINGERPRINT_LABEL } from "./labels";

const encoder = new TextEncoder();

/** Length-prefixed (u32 big-endian) concatenation: no two different field lists give the same bytes. */
export function lengthPrefixed(...fields: ReadonlyArray<Uint8Array | string>): Uint8Array {
  const parts = fields.map((field) => (typeof field === "string" ? encoder.encode(field) : field));
  const out = new Uint8Array(parts.reduce((sum, part) => sum + 4 + part.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const part of parts) {
    view.setUint32(offset, part.length, false);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/** HKDF-SHA256(IKM = root material, salt = empty, info = len(label) || label || len(c) || c ...), 32 bytes. */
export function expandKey(
  ikm: Uint8Array,
  label: string,
  ...context: ReadonlyArray<Uint8Array | string>
): Uint8Array {
  if (ikm.length !== 32) {
    throw new Cce4longError("KEY_PROVIDER_FAILED", "Key provider returned key material of the wrong length", {
      detail: { length: ikm.length },
    });
  }
  return new Uint8Array(hkdfSync("sha256", ikm, new Uint8Array(0), lengthPrefixed(label, ...context), 32));
}

/** Public fingerprint of a key: hex of SHA-256(len(label) || label || len(key) || key), first 16 bytes. */
export function keyFingerprint(key: Uint8Array): string {
  return createHash("sha256").update(lengthPrefixed(KEY_FINGERPRINT_LABEL, key)).digest("hex").slice(0, 32);
}

/** The X25519 public key of a 32-byte private key (RFC 7748; node:crypto does the clamping). */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) {
    throw new Cce4longError("SEAL_KEY_INVALID", "X25519 private key must be 32 bytes", {
      detail: { length: privateKey.length },
    });
  }
  return x25519RawPublicKey(createPublicKey(x25519PrivateKeyObject(privateKey)));
}

// Fixed DER prefixes of RFC 8410 X25519 keys: PKCS#8 (private) and SubjectPublicKeyInfo (public).
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

/** A node:crypto KeyObject for a raw X25519 private key (node keeps its own copy in native memory). */
export function x25519PrivateKeyObject(privateKey: Uint8Array): KeyObject {
  if (privateKey.length !== 32) {
    throw new Cce4longError("SEAL_KEY_INVALID", "X25519 private key must be 32 bytes", {
      detail: { length: privateKey.length },
    });
  }
  const der = Buffer.concat([X25519_PKCS8_PREFIX, privateKey]);
  try {
    return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } finally {
    der.fill(0);
  }
}

/** A node:crypto KeyObject for a raw 32-byte X25519 public key. */
export function x25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) {
    throw new Cce4longError("VALIDATION_FAILED", "X25519 public key must be 32 bytes", {
      detail: { length: publicKey?.length },
    });
  }
  return createPublicKey({
    key: Buffer.concat([X25519_SPKI_PREFIX, publicKey]),
    format: "der",
    type: "spki",
  });
}

/** The raw 32 bytes of an X25519 public KeyObject. */
export function x25519RawPublicKey(publicKey: KeyObject): Uint8Array {
  const spki = publicKey.export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(X25519_SPKI_PREFIX.length));
}
