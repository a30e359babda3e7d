/**
 * secp256k1 helpers for the Ethereum signing key (runs inside the TEE): public key and address from a
 * 32-byte scalar, with @noble/curves (audited; node:crypto has no recoverable ECDSA).
 */
import { Cce4longError } from "@cce4long/protocol";
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex } from "@noble/hashes/utils";

export interface EthereumKeyMaterial {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  address: `0x${string}`;
}

export function ethereumKeyFromScalar(privateKey: Uint8Array): EthereumKeyMaterial {
  if (privateKey.length !== 32 || !secp256k1.utils.isValidPrivateKey(privateKey)) {
    throw new Cce4longError("KEY_PROVIDER_FAILED", "Key provider returned an invalid secp256k1 key");
  }
  const publicKey = secp256k1.getPublicKey(privateKey, false);
  return { privateKey, publicKey, address: ethereumAddress(publicKey) };
}

/** Address of a 65-byte uncompressed secp256k1 public key, lowercase 0x-hex. */
export function ethereumAddress(uncompressedPublicKey: Uint8Array): `0x${string}` {
  if (uncompressedPublicKey.length !== 65 || uncompressedPublicKey[0] !== 0x04) {
    throw new Cce4longError("VALIDATION_FAILED", "secp256k1 public key must be 65 bytes uncompressed");
  }
  return `0x${bytesToHex(keccak_256(uncompressedPublicKey.subarray(1)).subarray(12))}`;
}
