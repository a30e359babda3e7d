/**
 * The lower layer key release hands out, against the real local object store (s3rver behind the
 * SigV4-verifying front, in this process; runs in Node): the manifest is found by the credential's
 * root and verified against it; the presigned URLs read exactly the manifest's objects with ranged GETs
 * through the boot agent's reader, are refused once expired, and are never minted outside the dataset's
 * folder.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UPLOAD_KEYS } from "@cce4long/protocol/api/uploads";
import {
  buildManifest,
  DATASET_MANIFEST_FORMAT,
  type DatasetManifest,
} from "@cce4long/protocol/datasets/manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectStoreLowerLayer } from "../../../cvm-image/src/fuse/object-store-lower-layer";
import { type RunningObjectStore, startObjectStore } from "../../../platform/src/object-store/server";
import { freePort } from "../../../platform/src/ports";
import { S3ObjectStore } from "../ingest/object-store";
import { lowerLayerUrlSeconds, objectStoreLowerLayerSource } from "./lower-layer-source";

const credentials = { accessKeyId: "test-access-key", secretAccessKey: "test-secret-key-0123456789" };
const datasetId = `0x${"ab".repeat(32)}` as Hex;
const uploadId = "1".repeat(32);
const objectKey = UPLOAD_KEYS.dataFile(datasetId, uploadId, 0);
const body = randomBytes(200_000);
let running: RunningObjectStore;
let dir: string;
let store: S3ObjectStore;
let manifest: DatasetManifest;

function manifestWith(objectKeyOf: string, id: string = datasetId): DatasetManifest {
  return buildManifest({
    format: DATASET_MANIFEST_FORMAT,
    datasetId: id,
    uploadId,
    createdAt: "2026-12-04T00:00:00.000Z",
    entries: [
      {
        kind: "data",
        path: "cohort.csv",
        objectKey: objectKeyOf,
        fileId: "cd".repeat(16),
        keyVersion: 1,
        chunkSize: 65_536,
        plaintextBytes: 1,
        ciphertextBytes: body.length,
        ciphertextSha256: createHash("sha256").update(body).digest("hex"),
        rows: null,
      },
    ],
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cce4long-lower-source-"));
  const port = await freePort();
  running = await startObjectStore({
    port,
    directory: dir,
    credentials: [credentials],
    buckets: [BUCKETS.datasets],
  });
  store = new S3ObjectStore({ endpoint: running.endpoint, region: "auto", ...credentials });
  manifest = manifestWith(objectKey);
  await store.put(BUCKETS.datasets, objectKey, body);
  await store.put(
    BUCKETS.datasets,
    UPLOAD_KEYS.manifestByRoot(datasetId, manifest.root),
    Buffer.from(JSON.stringify(manifest)),
  );
});

afterAll(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("key release's lower layer from the datasets bucket", () => {
  it("reads the manifest by the credential's root, verified", async () => {
    const source = objectStoreLowerLayerSource({ store });
    expect(await source.manifestFor(datasetId, manifest.root as Hex)).toEqual(manifest);
  });

  it("error: no manifest under that root, or one whose content is not that root's", async () => {
    const source = objectStoreLowerLayerSource({ store });
    await expect(source.manifestFor(datasetId, `0x${"99".repeat(32)}`)).rejects.toMatchObject({
      code: "DATASET_MANIFEST_INVALID",
    });
    // Another version's manifest stored under this root's key: the root recomputed refuses it.
    const other = manifestWith(UPLOAD_KEYS.dataFile(datasetId, uploadId, 7));
    const fakeRoot = `0x${"98".repeat(32)}` as Hex;
    await store.put(
      BUCKETS.datasets,
      UPLOAD_KEYS.manifestByRoot(datasetId, fakeRoot),
      Buffer.from(JSON.stringify(other)),
    );
    await expect(source.manifestFor(datasetId, fakeRoot)).rejects.toMatchObject({
      code: "DATASET_MANIFEST_INVALID",
    });
  });

  it("mints URLs the boot agent's reader reads exact ranges with, through the SigV4-verifying store", async () => {
    const objects = await objectStoreLowerLayerSource({ store }).readUrls(manifest, lowerLayerUrlSeconds(60));
    expect(objects.map((o) => o.path)).toEqual(["cohort.csv"]);
    expect(new URL(objects[0]!.url).searchParams.get("X-Amz-Expires")).toBe(String(60 + 15 * 60));
    const file = await objectStoreLowerLayer({ objects }).open("cohort.csv");
    expect(file.size).toBe(body.length);
    const read = await file.read(Buffer.alloc(50_000), 50_000, 123_456);
    expect(read.equals(body.subarray(123_456, 173_456))).toBe(true);
  });

  it("error: an expired URL is refused by the store and the reader says so (no URL in the error)", async () => {
    const [object] = await objectStoreLowerLayerSource({ store }).readUrls(manifest, 1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const error: unknown = await objectStoreLowerLayer({ objects: [object!] })
      .open("cohort.csv")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "LOWER_LAYER_UNAVAILABLE",
      detail: { reason: "refused", status: 403 },
    });
    expect(
      JSON.stringify({ message: (error as Error).message, detail: (error as { detail?: unknown }).detail }),
    ).not.toContain("X-Amz-Signature");
  });

  it("error: never mints a URL outside the dataset's own folder of the bucket", async () => {
    const source = objectStoreLowerLayerSource({ store });
    for (const key of [`0x${"cd".repeat(32)}/uploads/x/files/0.c4le`, `${datasetId}/../other/secret.c4le`]) {
      await expect(source.readUrls(manifestWith(key), 60)).rejects.toMatchObject({
        code: "DATASET_MANIFEST_INVALID",
      });
    }
  });

  it("keeps URL lifetimes within the 7-day limit", () => {
    expect(lowerLayerUrlSeconds(86_400)).toBe(86_400 + 900);
    expect(lowerLayerUrlSeconds(10 * 86_400)).toBe(604_800);
  });
});
