/**
 * Where a session's sample comes from (runs inside the TEE): the "explore-sample" entries of the dataset's
 * newest version manifest (verified against its on-chain root by whoever supplies it), copied as
 * ciphertext from object storage into the session's lower folder. The decrypting FUSE then shows them
 * read-only; nothing here sees plaintext.
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Cce4longError, EXPLORE_SAMPLE_PATH, EXPLORE_SAMPLE_REPORT_PATH } from "@cce4long/protocol";
import type { DatasetManifest } from "@cce4long/protocol/datasets/manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { Hex } from "viem";
import type { ObjectStore } from "../../ingest/object-store";
import type { LatestVersion } from "./latest-manifest";

/** How the sample's files are named inside the session (under /data). */
export const SESSION_FILE_NAMES: Readonly<Record<string, string>> = {
  [EXPLORE_SAMPLE_PATH]: "sample.csv",
  [EXPLORE_SAMPLE_REPORT_PATH]: "sample-report.json",
};

export interface StagedSampleFile {
  /** Path under /data. */
  path: string;
  lowerPath: string;
  expectedFileId: string;
  keyVersion: number;
}

/** The sample of one dataset version, staged for a session; exports are checked against that version. */
export interface StagedSample {
  version: number;
  manifest: DatasetManifest;
  files: StagedSampleFile[];
}

export interface SampleSource {
  /** Copies the dataset's sample ciphertext into `lowerDir`; NOT_FOUND when the dataset has no sample. */
  stage(datasetId: Hex, lowerDir: string): Promise<StagedSample>;
}

export interface ManifestSampleSourceOptions {
  store: Pick<ObjectStore, "getStream">;
  /** The newest version and its manifest, verified against the on-chain root; undefined if none. */
  latestVersion(datasetId: Hex): Promise<LatestVersion | undefined>;
}

export function manifestSampleSource(options: ManifestSampleSourceOptions): SampleSource {
  return {
    async stage(datasetId, lowerDir) {
      const latest = await options.latestVersion(datasetId);
      const entries = (latest?.manifest.entries ?? []).filter((e) => e.kind === "explore-sample");
      if (latest === undefined || !entries.some((e) => e.path === EXPLORE_SAMPLE_PATH)) {
        throw new Cce4longError("NOT_FOUND", "This dataset has no Explore sample yet", {
          detail: { datasetId },
        });
      }
      const staged: StagedSampleFile[] = [];
      for (const [i, entry] of entries.entries()) {
        const source = await options.store.getStream(BUCKETS.datasets, entry.objectKey);
        if (source === null) {
          throw new Cce4longError("OBJECT_STORE_FAILED", "A sample object is missing", {
            detail: { datasetId, objectKey: entry.objectKey },
          });
        }
        const lowerPath = join(lowerDir, `${i}.sealed`);
        await pipeline(source, createWriteStream(lowerPath, { mode: 0o600 }));
        staged.push({
          path: SESSION_FILE_NAMES[entry.path] ?? entry.path.replace(/^\.cce4long\//, ""),
          lowerPath,
          expectedFileId: entry.fileId,
          keyVersion: entry.keyVersion,
        });
      }
      return { version: latest.version, manifest: latest.manifest, files: staged };
    },
  };
}
