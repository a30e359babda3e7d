/**
 * The lower layer a job's VM reads (runs inside the TEE, at key release): the version manifest the
 * job credential names, read from the datasets bucket by its root and verified against that root,
 * and, once the key is released, presigned GET URLs for exactly its data objects, valid for the job's
 * run. The VM reads the ciphertext with ranged GETs (cvm-image/src/fuse/object-store-lower-layer.ts)
 * and holds it to the same manifest. The URLs are secrets: never logged, never in an error.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { DatasetManifest } from "@cce4long/protocol/datasets/manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { Hex } from "viem";
import { MAX_PRESIGN_SECONDS, type S3ObjectStore } from "../ingest/object-store";
import { readVersionManifest } from "../ingest/read-version-manifest";

/** One data object of the version, as the VM gets it. */
export interface LowerLayerObject {
  /** The file's path in the job's /data (the manifest entry's path). */
  path: string;
  /** Presigned GET URL of its ciphertext object (secret). */
  url: string;
}

export interface LowerLayerSource {
  /** The version manifest with this root, verified against it; fails if it is absent or does not match. */
  manifestFor(datasetId: Hex, manifestRoot: Hex): Promise<DatasetManifest>;
  /** GET URLs for every data entry of `manifest`, valid `ttlSeconds`. */
  readUrls(manifest: DatasetManifest, ttlSeconds: number): Promise<LowerLayerObject[]>;
}

/** Time beyond the job's own timeout for booting, checking the files and mounting. */
export const LOWER_LAYER_URL_MARGIN_SECONDS = 15 * 60;

/** How long the VM's URLs live: the job's timeout plus the set-up margin, within the 7-day limit. */
export function lowerLayerUrlSeconds(jobTimeoutSeconds: number): number {
  return Math.min(MAX_PRESIGN_SECONDS, jobTimeoutSeconds + LOWER_LAYER_URL_MARGIN_SECONDS);
}

export function objectStoreLowerLayerSource(options: {
  store: Pick<S3ObjectStore, "getBytes" | "presignGet">;
}): LowerLayerSource {
  return {
    async manifestFor(datasetId, manifestRoot) {
      const manifest = await readVersionManifest(options.store, datasetId, manifestRoot);
      if (manifest === null) {
        throw new Cce4longError("DATASET_MANIFEST_INVALID", "The job's dataset version manifest is missing", {
          detail: { datasetId, manifestRoot },
        });
      }
      return manifest;
    },
    async readUrls(manifest, ttlSeconds) {
      const prefix = `${manifest.datasetId.toLowerCase()}/`;
      const entries = manifest.entries.filter((e) => e.kind === "data");
      for (const entry of entries) {
        // A URL is minted only inside the dataset's own folder of the bucket (fail closed).
        if (!entry.objectKey.toLowerCase().startsWith(prefix) || entry.objectKey.split("/").includes("..")) {
          throw new Cce4longError(
            "DATASET_MANIFEST_INVALID",
            "A manifest entry names an object outside its dataset",
            {
              detail: { path: entry.path },
            },
          );
        }
      }
      // Signed side by side: each is a few HMACs, and a version may have many files.
      return Promise.all(
        entries.map(async (entry) => ({
          path: entry.path,
          url: await options.store.presignGet(BUCKETS.datasets, entry.objectKey, ttlSeconds),
        })),
      );
    },
  };
}
