/**
 * Every HKDF / key-derivation label cce4long uses, in one file (runs inside the TEE and in trusted tools).
 * A label never changes once data has been sealed under it: a new derivation gets a new, versioned label.
 * Each part keeps its labels in its own marked section below.
 */

// --- encrypted file format, v1 (docs/encrypted-file-format.md, sealing/src/file-format/) ----------
// HKDF-SHA256 `info` prefixes. The spec fixes how each is followed by the dataset id and key version.

/** Per-file AES-256-GCM chunk key: HKDF(IKM = dataset key, salt = file id, info = label || context). */
export const FILE_FORMAT_V1_CHUNK_KEY_LABEL = "cce4long/file-format/v1/chunk-key";
/** Per-file HMAC-SHA256 key that authenticates the header: HKDF(dataset key, salt = file id, ...). */
export const FILE_FORMAT_V1_HEADER_MAC_KEY_LABEL = "cce4long/file-format/v1/header-mac-key";
/** Public key-check value stored in every header (per dataset key, no salt): detects a wrong key early. */
export const FILE_FORMAT_V1_KEY_CHECK_LABEL = "cce4long/file-format/v1/key-check";

// --- end of encrypted file format labels ------------------------------------------------------------

// --- keys: dstack derivation paths, purposes and HKDF labels (docs/key-management.md, sealing/src/keys/) ---
// dstack's GetKey derives from the PATH only (HKDF-SHA256, salt "RATLS", info = path); its `purpose`
// goes only into the signature chain. So every distinction between keys is made in the path, and the
// purpose names the key's use for whoever verifies the chain. Paths carry a version segment: that
// segment is the rotation mechanism dstack itself lacks (dstack#1287).

/** Root of every dstack GetKey path cce4long asks for. */
export const KEY_PATH_ROOT = "cce4long";
/** Dataset key path: `${KEY_PATH_ROOT}/${DATASET_KEY_PATH_SEGMENT}/<datasetId>/v<keyVersion>`. */
export const DATASET_KEY_PATH_SEGMENT = "dataset";
/** Ethereum (secp256k1) signing key path: `${KEY_PATH_ROOT}/signing/<purpose>/v<version>`. */
export const SIGNING_KEY_PATH_SEGMENT = "signing";
/** X25519 ingest key path (providers encrypt uploads to it): `${KEY_PATH_ROOT}/ingest/x25519/v<version>`. */
export const INGEST_KEY_PATH_SEGMENT = "ingest/x25519";
/** X25519 Output Gate key path (VMs encrypt outputs to it): `${KEY_PATH_ROOT}/gate-output/x25519/v<version>`. */
export const GATE_OUTPUT_KEY_PATH_SEGMENT = "gate-output/x25519";
/** AES-256 key sealing output sets that wait for review: `${KEY_PATH_ROOT}/output-vault/aes-256-gcm/v<version>`. */
export const OUTPUT_VAULT_KEY_PATH_SEGMENT = "output-vault/aes-256-gcm";
/** The datasetId an output vault key carries in a file header (its own key path: no dataset's key). */
export const OUTPUT_VAULT_KEY_ID = "output-vault";

/** The `purpose` sent with GetKey (it is signed into signature_chain[0] as "<purpose>:<pubkey hex>"). */
export const KEY_PURPOSE = {
  DATASET: "cce4long-dataset-key-v1",
  SIGNING: "cce4long-ethereum-signing-v1",
  INGEST: "cce4long-ingest-x25519-v1",
  GATE_OUTPUT: "cce4long-gate-output-x25519-v1",
  OUTPUT_VAULT: "cce4long-output-vault-v1",
} as const;

/** Signing-key uses: each is its own path, so a credential key can never sign a manifest. */
export const SIGNING_KEY_USE = {
  JOB_CREDENTIAL: "job-credential",
  RESULT_MANIFEST: "result-manifest",
  CHAIN_RECORDER: "chain-recorder",
} as const;

/**
 * HKDF-SHA256 `info` labels that turn a dstack GetKey output (32 bytes, a secp256k1 scalar) into a
 * key of another type. They bind the key's algorithm and use into the key itself, which dstack's
 * derivation (path only) does not. The Ethereum signing key is the one key used as GetKey returns it,
 * so that dstack's signature chain vouches for exactly that key.
 */
export const DATASET_KEY_HKDF_LABEL = "cce4long/keys/v1/dataset-key/aes-256-gcm";
export const INGEST_KEY_HKDF_LABEL = "cce4long/keys/v1/ingest-key/x25519";
export const GATE_OUTPUT_KEY_HKDF_LABEL = "cce4long/keys/v1/gate-output-key/x25519";
export const OUTPUT_VAULT_KEY_HKDF_LABEL = "cce4long/keys/v1/output-vault-key/aes-256-gcm";
/** Public fingerprint of a derived key (SHA-256 over label || key, first 16 bytes): detects a changed root. */
export const KEY_FINGERPRINT_LABEL = "cce4long/keys/v1/fingerprint";

// HPKE (RFC 9180) `info` labels: sealing/src/hpke.ts appends a length-prefixed dataset id.
export const HPKE_INFO = {
  /** A provider's client seals a per-upload content key to the Privacy Plane's ingest key. */
  UPLOAD_CONTENT_KEY: "cce4long/hpke/v1/upload-content-key",
  /** A provider's client seals upload data itself (small uploads, or chunk streams). */
  UPLOAD_DATA: "cce4long/hpke/v1/upload-data",
  /** A Computing Plane VM seals job outputs to the Output Gate's key. */
  GATE_OUTPUT: "cce4long/hpke/v1/gate-output",
  /** The Privacy Plane seals a released output to the consumer's result key (enclave-runtime/src/delivery/). */
  RESULT_OUTPUT: "cce4long/hpke/v1/result-output",
} as const;

/** ECDHE key release (sealing/src/ecdhe-wrap.ts): HKDF info for the wrapping key, and the AAD prefix. */
export const ECDHE_WRAP_HKDF_LABEL = "cce4long/ecdhe-wrap/v1/wrapping-key";
export const ECDHE_WRAP_AAD_LABEL = "cce4long/ecdhe-wrap/v1/aad";

// Output Gate (enclave-runtime/src/gate/fingerprints/): the AES-256 key of the keyed row fingerprints,
// expanded from the per-dataset-version key that ingest passes in.
export const GATE_FINGERPRINT_TAG_KEY_LABEL = "cce4long/gate/v1/fingerprint-tag-key";
/**
 * Ingest (enclave-runtime/src/ingest/): the per-dataset-version key the fingerprint index is built with,
 * expandKey(dataset key, label, datasetId, uploadId); the gate derives it again from the version's manifest.
 */
export const INGEST_FINGERPRINT_VERSION_KEY_LABEL = "cce4long/ingest/v1/fingerprint-version-key";

// Explore Mode (enclave-runtime/src/explore/sample/): the keystream that draws sample rows, their order
// and the numeric noise: expandKey(secret = dataset key, label, purpose, seed). Keyed, so that knowing the
// policy's public seed does not let anyone subtract the noise.
export const EXPLORE_SAMPLE_RANDOM_LABEL = "cce4long/explore/v1/sample-random";

// dstack's own constants, which the development guest agent reproduces (upstream: ra-tls kdf.rs,
// kms crypto.rs, guest-agent rpc_service.rs). Not ours to change: they are dstack's protocol.
export const DSTACK_HKDF_SALT = "RATLS";
export const DSTACK_APP_KEY_CONTEXT = "app-key";
export const DSTACK_KMS_ISSUED_PREFIX = "dstack-kms-issued:";

// Development guest agent only (enclave-runtime/src/insecure/dev-guest-agent/): its fake boot measurements.
export const DEV_GUEST_AGENT_MEASUREMENT_LABEL = "cce4long/insecure-dev-guest-agent/v1/measurement";

// --- end of keys labels ------------------------------------------------------------------------------
