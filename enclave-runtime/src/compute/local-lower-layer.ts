/**
 * The lower layer of a local "VM" (development stand-in for JuiceFS over the datasets bucket, runs
 * beside the Privacy Plane): the data files of the dataset's newest version, as ciphertext, copied from
 * object storage into the folder the boot agent mounts its decrypting FUSE over, with the version's
 * manifest beside them (LOWER_LAYER_MANIFEST_PATH), which the agent holds the files to. The manifest
 * is verified against its on-chain root before anything is copied; nothing here decrypts.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { pipeline } from "node:stream/promises";
import { Cce4longError } from "@cce4long/protocol";
import { type DatasetManifest, LOWER_LAYER_MANIFEST_PATH } from "@cce4long/protocol/datasets/manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { Hex } from "viem";
import type { ObjectStore } from "../ingest/object-store";

export type PrepareLowerLayer = (datasetId: Hex, lowerDir: string) => Promise<void>;

export function objectStoreLowerLayer(options: {
  store: Pick<ObjectStore, "getStream">;
  /** The newest version's manifest, verified against the on-chain root; undefined if none. */
  latestManifest(datasetId: Hex): Promise<DatasetManifest | undefined>;
}): PrepareLowerLayer {
  return async (datasetId, lowerDir) => {
    const manifest = await options.latestManifest(datasetId);
    // A dataset never ingested through object storage (e.g. sealed straight into the folder by a
    // test) has no manifest here: its folder is used as it is, and must carry its own manifest.
    if (manifest === undefined) return;
    const staging = `${lowerDir}.staging-${process.pid}-${Date.now()}`;
    await mkdir(staging, { recursive: true, mode: 0o700 });
    try {
      for (const entry of manifest.entries.filter((e) => e.kind === "data")) {
        const target = normalize(join(staging, entry.path));
        if (!target.startsWith(`${staging}/`)) {
          throw new Cce4longError("SEAL_INTEGRITY", "A manifest path leaves the dataset folder", {
            detail: { path: entry.path },
          });
        }
        const source = await options.store.getStream(BUCKETS.datasets, entry.objectKey);
        if (source === null) {
          throw new Cce4longError("NOT_FOUND", "A dataset object named by the manifest is missing", {
            detail: { objectKey: entry.objectKey },
          });
        }
        await mkdir(dirname(target), { recursive: true });
        await pipeline(source, createWriteStream(target, { mode: 0o600 }));
      }
      const manifestPath = join(staging, LOWER_LAYER_MANIFEST_PATH);
      await mkdir(dirname(manifestPath), { recursive: true });
      await writeFile(manifestPath, JSON.stringify(manifest), { mode: 0o600 });
      // Swap in the complete copy: a job never sees a half-copied version.
      await rm(lowerDir, { recursive: true, force: true });
      await mkdir(dirname(lowerDir), { recursive: true });
      await rename(staging, lowerDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
  };
}
