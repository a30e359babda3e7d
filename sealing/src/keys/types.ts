/**
 * The key provider interface of the Privacy Plane (runs inside the TEE): every key it uses comes from
 * here, derived from the TEE's root (dstack GetKey), never generated and stored. Implementations:
 * dstack-key-provider.ts (production, and locally against the development guest agent).
 */

/** A per-dataset AES-256 key at one key version. `key` is secret: call wipe() when done. */
export interface DatasetKey {
  readonly datasetId: string;
  readonly keyVersion: number;
  /** 32 bytes, AES-256-GCM. */
  readonly key: Uint8Array;
  /** Public: hex of the first 16 bytes of SHA-256(label || key). Recorded per version to detect a changed root. */
  readonly fingerprint: string;
  /** Overwrites `key` with zeros (see wipe.ts for what that does and does not guarantee). */
  wipe(): void;
}

/** An Ethereum (secp256k1) key the Privacy Plane signs with; its address is authorized on-chain. */
export interface EthereumSigningKey {
  readonly use: SigningKeyUse;
  readonly version: number;
  /** 32-byte secp256k1 scalar. Secret. */
  readonly privateKey: Uint8Array;
  /** 65-byte uncompressed public key (0x04 || X || Y). */
  readonly publicKey: Uint8Array;
  /** 0x-prefixed lowercase address (keccak256 of the public key's X || Y, last 20 bytes). */
  readonly address: `0x${string}`;
  /**
   * dstack's proof that this key belongs to this app: [app key's signature over
   * "<purpose>:<compressed pubkey hex>", KMS root's signature over the app key]. Public.
   */
  readonly signatureChain: readonly Uint8Array[];
  wipe(): void;
}

/** An X25519 key pair (ingest key, Output Gate key). `privateKey` is secret. */
export interface X25519KeyPair {
  readonly version: number;
  /** 32 bytes (RFC 7748 scalar, clamped by X25519 itself). */
  readonly privateKey: Uint8Array;
  /** 32 bytes. */
  readonly publicKey: Uint8Array;
  wipe(): void;
}

export type SigningKeyUse = "job-credential" | "result-manifest" | "chain-recorder";

/**
 * Derives keys; holds no policy. Which versions may be used is the keyring's business
 * (keyring.ts), so that rotation and retirement are enforced in one place.
 */
export interface KeyProvider {
  /** The AES-256 key of one dataset at one key version (deterministic: same root, same key). */
  datasetKey(datasetId: string, keyVersion: number): Promise<DatasetKey>;
  /** The Ethereum signing key for one use (Job Credentials, Result Manifests, chain writes). */
  signingKey(use: SigningKeyUse, version?: number): Promise<EthereumSigningKey>;
  /** The X25519 key providers' clients encrypt uploads to (its public half is published, attested). */
  ingestKeyPair(version?: number): Promise<X25519KeyPair>;
  /** The X25519 key Computing Plane VMs encrypt outputs to (the Output Gate's key). */
  gateOutputKeyPair(version?: number): Promise<X25519KeyPair>;
  /**
   * The AES-256 key that seals output sets at rest while they wait for a reviewer
   * (enclave-runtime/src/review/sealed-output-vault.ts). A DatasetKey whose datasetId is
   * OUTPUT_VAULT_KEY_ID (labels.ts), so the encrypted file format takes it as it is.
   */
  outputVaultKey(version?: number): Promise<DatasetKey>;
}
