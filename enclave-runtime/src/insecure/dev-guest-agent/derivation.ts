/**
 * INSECURE development guest agent: key derivation the way upstream dstack does it (runs on a developer
 * machine only), so keys have the same shape and the same dependence on path and app id:
 *
 *   app key     = HKDF-SHA256(salt "RATLS", IKM = root k256 key, info = app_id || "app-key")   [dstack KMS]
 *   GetKey(p)   = HKDF-SHA256(salt "RATLS", IKM = app key,       info = p)        32 bytes  [guest agent]
 *   signature_chain[0] = app key signs keccak256("<purpose>:<hex of the derived public key>")
 *   signature_chain[1] = root key signs keccak256("dstack-kms-issued:" || app_id || app public key)
 *
 * Signatures are 65 bytes r || s || recovery id. The purpose does not enter the key, only the chain.
 */
import { hkdfSync } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import {
  DSTACK_APP_KEY_CONTEXT,
  DSTACK_HKDF_SALT,
  DSTACK_KMS_ISSUED_PREFIX,
} from "@cce4long/sealing/keys/labels";
import { ed25519 } from "@noble/curves/ed25519";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex } from "@noble/hashes/utils";

const encoder = new TextEncoder();

export type GetKeyAlgorithm = "secp256k1" | "ed25519";

export interface DerivedKey {
  /** Secret: the caller sends it to its client and wipes it. */
  key: Uint8Array;
  signatureChain: Uint8Array[];
}

export class DevKeyDeriver {
  readonly #appKey: Uint8Array;
  readonly #kmsSignature: Uint8Array;

  constructor(rootKey: Uint8Array, appId: Uint8Array) {
    this.#appKey = hkdf(rootKey, concat(appId, encoder.encode(DSTACK_APP_KEY_CONTEXT)));
    if (!secp256k1.utils.isValidPrivateKey(this.#appKey)) {
      throw new Cce4longError("INTERNAL", "Development app key is not a valid secp256k1 key");
    }
    const appPublicKey = secp256k1.getPublicKey(this.#appKey, true);
    this.#kmsSignature = signRecoverable(
      keccak_256(concat(encoder.encode(DSTACK_KMS_ISSUED_PREFIX), appId, appPublicKey)),
      rootKey,
    );
  }

  getKey(path: string, purpose: string, algorithm: GetKeyAlgorithm): DerivedKey {
    const key = hkdf(this.#appKey, encoder.encode(path));
    let publicKey: Uint8Array;
    if (algorithm === "ed25519") {
      publicKey = ed25519.getPublicKey(key);
    } else {
      if (!secp256k1.utils.isValidPrivateKey(key)) {
        // Probability about 2^-128; upstream fails the same way.
        key.fill(0);
        throw new Cce4longError("INTERNAL", "Derived key is not a valid secp256k1 key");
      }
      publicKey = secp256k1.getPublicKey(key, true);
    }
    const message = encoder.encode(`${purpose}:${bytesToHex(publicKey)}`);
    return { key, signatureChain: [signRecoverable(keccak_256(message), this.#appKey), this.#kmsSignature] };
  }

  /** The app's secp256k1 public key (compressed), for Info's key_provider_info. */
  appPublicKey(): Uint8Array {
    return secp256k1.getPublicKey(this.#appKey, true);
  }

  wipe(): void {
    this.#appKey.fill(0);
  }
}

function hkdf(ikm: Uint8Array, info: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, encoder.encode(DSTACK_HKDF_SALT), info, 32));
}

function signRecoverable(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const signature = secp256k1.sign(digest, privateKey, { prehash: false });
  return concat(signature.toCompactRawBytes(), Uint8Array.of(signature.recovery));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
