/**
 * The production KeyProvider (runs inside the TEE): every key comes from the dstack guest agent's
 * GetKey through @phala/dstack-sdk, at a versioned path from paths.ts. Locally the same code talks to
 * the development guest agent (enclave-runtime/src/insecure/dev-guest-agent/) over its unix socket.
 */
import { Cce4longError } from "@cce4long/protocol";
import { DstackClient } from "@phala/dstack-sdk";
import { expandKey, keyFingerprint, x25519PublicKey } from "./derive";
import {
  DATASET_KEY_HKDF_LABEL,
  GATE_OUTPUT_KEY_HKDF_LABEL,
  INGEST_KEY_HKDF_LABEL,
  KEY_PURPOSE,
  OUTPUT_VAULT_KEY_HKDF_LABEL,
  OUTPUT_VAULT_KEY_ID,
} from "./labels";
import {
  datasetKeyPath,
  gateOutputKeyPath,
  ingestKeyPath,
  outputVaultKeyPath,
  signingKeyPath,
} from "./paths";
import { ethereumKeyFromScalar } from "./secp256k1";
import type { DatasetKey, EthereumSigningKey, KeyProvider, SigningKeyUse, X25519KeyPair } from "./types";
import { wipe } from "./wipe";

export interface DstackKeyProviderOptions {
  /** A unix socket path (dstack: /var/run/dstack.sock) or an http(s) URL; from the service's config. */
  endpoint: string;
}

interface RawKey {
  key: Uint8Array;
  signatureChain: Uint8Array[];
}

export class DstackKeyProvider implements KeyProvider {
  readonly #client: DstackClient;

  constructor(options: DstackKeyProviderOptions) {
    try {
      this.#client = new DstackClient(options.endpoint);
    } catch (cause) {
      throw new Cce4longError("KEY_PROVIDER_FAILED", "dstack guest agent endpoint is not reachable", {
        cause,
        detail: { endpoint: options.endpoint },
      });
    }
  }

  async datasetKey(datasetId: string, keyVersion: number): Promise<DatasetKey> {
    // The dataset id and version are bound again in the HKDF step, so a provider that ignored the
    // path could not hand one dataset's key to another.
    return this.#aesKey(datasetKeyPath(datasetId, keyVersion), KEY_PURPOSE.DATASET, datasetId, keyVersion, [
      DATASET_KEY_HKDF_LABEL,
      datasetId,
      String(keyVersion),
    ]);
  }

  async signingKey(use: SigningKeyUse, version = 1): Promise<EthereumSigningKey> {
    const path = signingKeyPath(use, version);
    const raw = await this.#getKey(path, KEY_PURPOSE.SIGNING);
    // Used as returned: dstack's signature chain vouches for exactly this secp256k1 key.
    const key = ethereumKeyFromScalar(raw.key);
    return { use, version, ...key, signatureChain: raw.signatureChain, wipe: () => wipe(key.privateKey) };
  }

  ingestKeyPair(version = 1): Promise<X25519KeyPair> {
    return this.#x25519(ingestKeyPath(version), KEY_PURPOSE.INGEST, INGEST_KEY_HKDF_LABEL, version);
  }

  gateOutputKeyPair(version = 1): Promise<X25519KeyPair> {
    return this.#x25519(
      gateOutputKeyPath(version),
      KEY_PURPOSE.GATE_OUTPUT,
      GATE_OUTPUT_KEY_HKDF_LABEL,
      version,
    );
  }

  async outputVaultKey(version = 1): Promise<DatasetKey> {
    return this.#aesKey(outputVaultKeyPath(version), KEY_PURPOSE.OUTPUT_VAULT, OUTPUT_VAULT_KEY_ID, version, [
      OUTPUT_VAULT_KEY_HKDF_LABEL,
      String(version),
    ]);
  }

  /** An AES-256 key: GetKey at `path`, expanded with HKDF(label, ...context), the raw key wiped. */
  async #aesKey(
    path: string,
    purpose: string,
    id: string,
    version: number,
    [label, ...context]: readonly [string, ...string[]],
  ): Promise<DatasetKey> {
    const raw = await this.#getKey(path, purpose);
    let key: Uint8Array;
    try {
      key = expandKey(raw.key, label, ...context);
    } finally {
      wipe(raw.key);
    }
    return {
      datasetId: id,
      keyVersion: version,
      key,
      fingerprint: keyFingerprint(key),
      wipe: () => wipe(key),
    };
  }

  async #x25519(path: string, purpose: string, label: string, version: number): Promise<X25519KeyPair> {
    const raw = await this.#getKey(path, purpose);
    let privateKey: Uint8Array;
    try {
      privateKey = expandKey(raw.key, label);
    } finally {
      wipe(raw.key);
    }
    return { version, privateKey, publicKey: x25519PublicKey(privateKey), wipe: () => wipe(privateKey) };
  }

  async #getKey(path: string, purpose: string): Promise<RawKey> {
    let response: Awaited<ReturnType<DstackClient["getKey"]>>;
    try {
      response = await this.#client.getKey(path, purpose, "secp256k1");
    } catch (cause) {
      // The SDK's errors carry transport detail (socket path, parse failure), never key bytes.
      throw new Cce4longError("KEY_PROVIDER_FAILED", "dstack GetKey failed", {
        cause,
        detail: { path, purpose },
      });
    }
    if (!(response.key instanceof Uint8Array) || response.key.length !== 32) {
      const length = response.key?.length;
      wipe(response.key);
      throw new Cce4longError(
        "KEY_PROVIDER_FAILED",
        "dstack GetKey returned key material of the wrong length",
        {
          detail: { path, length },
        },
      );
    }
    return { key: response.key, signatureChain: [...response.signature_chain] };
  }
}
