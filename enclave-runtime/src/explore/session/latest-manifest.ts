/**
 * The newest version manifest of a dataset, as Explore sessions start from it (runs inside the TEE): the
 * version count and root from the hub, the manifest from object storage by that root, and the manifest
 * verified against the root, so that a swapped manifest or sample object is refused.
 */
import { cce4longHubAbi, type Deployment } from "@cce4long/protocol";
import type { DatasetManifest } from "@cce4long/protocol/datasets/manifest";
import { createPublicClient, type Hex, http } from "viem";
import type { ObjectStore } from "../../ingest/object-store";
import { readVersionManifest } from "../../ingest/read-version-manifest";

export interface LatestVersion {
  /** The version number on-chain (the hub's version count when it was read). */
  version: number;
  manifest: DatasetManifest;
}

/** The newest version and its manifest (an Explore export records the version). */
export function latestVersionReader(options: {
  rpcUrl: string;
  deployment: Deployment;
  store: Pick<ObjectStore, "getBytes">;
}): (datasetId: Hex) => Promise<LatestVersion | undefined> {
  const reader = createPublicClient({ transport: http(options.rpcUrl) });
  const address = options.deployment.contracts.hub.address;
  return async (datasetId) => {
    const dataset = await reader.readContract({
      address,
      abi: cce4longHubAbi,
      functionName: "getDataset",
      args: [datasetId],
    });
    const count = Number(dataset.versionCount);
    if (count === 0) return undefined;
    const root = await reader.readContract({
      address,
      abi: cce4longHubAbi,
      functionName: "datasetVersionRoot",
      args: [datasetId, count],
    });
    const manifest = await readVersionManifest(options.store, datasetId, root);
    return manifest === null ? undefined : { version: count, manifest };
  };
}
