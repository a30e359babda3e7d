/**
 * The Output Gate's inputs for one dataset version (runs inside the TEE): the provider's signed gate
 * policy (policies/, else the ACRO defaults) and the fingerprint index that
 * ingest built and sealed beside the data. The version's manifest is fetched by its on-chain root and
 * verified against it; the sealed index is decrypted with the dataset key (file id checked against
 * the manifest) and opened with the per-version fingerprint key. Keys are wiped after use.
 * A loaded index is kept for the next gate runs of the same version (index-cache.ts; the on-chain
 * root is read every run, and names the index).
 */
import { cce4longHubAbi, type Deployment } from "@cce4long/protocol";
import { DEFAULT_GATE_POLICY } from "@cce4long/protocol/gate/policy";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { decryptBuffer } from "@cce4long/sealing";
import type { DatasetKeyring } from "@cce4long/sealing/keys/keyring";
import { createPublicClient, type Hex, http } from "viem";
import type { FingerprintIndex } from "../gate/fingerprints/fingerprint-index";
import { deserializeFingerprintIndex } from "../gate/fingerprints/serialize";
import { fingerprintVersionKey } from "../ingest/derived";
import type { ObjectStore } from "../ingest/object-store";
import { readVersionManifest } from "../ingest/read-version-manifest";
import type { DatasetPolicies } from "../policies/dataset-policies";
import type { GateInputsSource } from "./gate-runner";
import { IndexCache } from "./index-cache";

/** The Merkle root the hub recorded for a dataset version (CCE4longHub.datasetVersionRoot). */
export type VersionRootReader = (datasetId: string, datasetVersion: number) => Promise<Hex>;

/** The production VersionRootReader: the hub contract over JSON-RPC. */
export function hubVersionRoot(rpcUrl: string, deployment: Deployment): VersionRootReader {
  const reader = createPublicClient({ transport: http(rpcUrl) });
  const hub = deployment.contracts.hub.address;
  return (datasetId, datasetVersion) =>
    reader.readContract({
      address: hub,
      abi: cce4longHubAbi,
      functionName: "datasetVersionRoot",
      args: [datasetId as Hex, datasetVersion],
    });
}

export interface ManifestGateInputsOptions {
  versionRoot: VersionRootReader;
  store: Pick<ObjectStore, "getBytes">;
  keyring: Pick<DatasetKeyring, "keyForRead">;
  /** The provider's signed gate policy per dataset (policies/); without it, the ACRO defaults. */
  policies?: Pick<DatasetPolicies, "resolve">;
  /** Memory for loaded indexes kept for later runs (index-cache.ts; default two 1M-row versions). */
  indexCacheBytes?: number;
}

export function manifestGateInputs(options: ManifestGateInputsOptions): GateInputsSource {
  // By dataset and root: a root names one version, whose index never changes.
  const indexes = new IndexCache<FingerprintIndex>(options.indexCacheBytes);
  const indexFor = (datasetId: string, root: Hex) =>
    indexes.get(`${datasetId}/${root}`, () => loadIndex(options, datasetId, root));
  return async (datasetId, datasetVersion) => {
    const resolved = await options.policies?.resolve(datasetId, "gate");
    const policy = resolved?.policy ?? DEFAULT_GATE_POLICY;
    const policyRolledBack = resolved?.rolledBack === true;
    if (datasetVersion < 1) return { policy, fingerprints: null, policyRolledBack };
    const root = await options.versionRoot(datasetId, datasetVersion);
    return { policy, fingerprints: await indexFor(datasetId, root), policyRolledBack };
  };
}

/** The version's sealed index, verified against its root, or null when it has none. */
async function loadIndex(
  options: ManifestGateInputsOptions,
  datasetId: string,
  root: Hex,
): Promise<FingerprintIndex | null> {
  const manifest = await readVersionManifest(options.store, datasetId, root);
  if (manifest === null) return null;
  const entry = manifest.entries.find((e) => e.kind === "fingerprints");
  if (entry === undefined) return null;
  const sealed = await options.store.getBytes(BUCKETS.datasets, entry.objectKey);
  if (sealed === null) return null;
  const datasetKey = await options.keyring.keyForRead(datasetId, entry.keyVersion);
  const versionKey = fingerprintVersionKey(datasetKey.key, datasetId, manifest.uploadId);
  try {
    const { header, plaintext } = decryptBuffer(sealed, datasetKey.key);
    if (Buffer.from(header.fileId).toString("hex") !== entry.fileId) return null;
    return deserializeFingerprintIndex(plaintext, versionKey);
  } finally {
    versionKey.fill(0);
    datasetKey.wipe();
  }
}
