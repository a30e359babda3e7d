/**
 * The algorithm of the survival-analysis example through the real local object store (SigV4-checking
 * front over s3rver): published, fetched by its spec commitment and verified; a source tampered in the
 * bucket fails; the tarball is one GNU tar reads with fixed owner and time (runs in Node).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningObjectStore, startObjectStore } from "@cce4long/platform/object-store/server";
import { freePort } from "@cce4long/platform/ports";
import { algorithmKeys, buildAlgorithm } from "@cce4long/protocol/algorithms/algorithm-record";
import { fetchVerifiedAlgorithm, publishAlgorithm } from "@cce4long/protocol/algorithms/publish-fetch";
import { imageDigestBytes32, jobSpecCommitment } from "@cce4long/protocol/jobs/job-spec";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ObjectStore } from "../ingest/object-store";
import { objectStoreDataAvailability } from "./object-store-da";
import { sourceFilesOfFolder } from "./source-folder";

const FOLDER = join(import.meta.dirname, "../../../examples/survival-analysis");
/** What examples/image-digest.ts leaves out of a directory image. */
const NOT_IMAGE = /(^|\/)(job\.json|README\.md|[^/]*\.test\.ts|__pycache__(\/.*)?)$/;
const SPEC = JSON.parse(readFileSync(join(FOLDER, "job.json"), "utf8")) as { image: { digest: string } };
const credentials = { accessKeyId: "da-test-key", secretAccessKey: "da-test-secret-0123456789" };

let dir = "";
let server: RunningObjectStore;
let store: S3ObjectStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cce4long-da-"));
  server = await startObjectStore({
    port: await freePort(),
    directory: join(dir, "objects"),
    credentials: [credentials],
    buckets: [BUCKETS.algorithms],
  });
  store = new S3ObjectStore({ endpoint: server.endpoint, region: "us-east-1", ...credentials });
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("algorithm records in the object store", () => {
  it("publishes the example and anyone with a key fetches and verifies it by the spec commitment", async () => {
    const algorithm = buildAlgorithm(
      SPEC,
      sourceFilesOfFolder(FOLDER, (path) => NOT_IMAGE.test(path)),
    );
    expect(algorithm.record.source.binding).toBe("directory-image");
    const da = objectStoreDataAvailability(store);
    await publishAlgorithm(da, algorithm);
    const verified = await fetchVerifiedAlgorithm(da, {
      specCommitment: jobSpecCommitment(SPEC),
      onChainImageDigest: imageDigestBytes32(SPEC.image.digest),
    });
    expect(verified.files.map((file) => file.path)).toEqual(["main.py"]);
  });

  it("writes the source tarball that GNU tar lists with owner 0/0 and time 0", async () => {
    const algorithm = buildAlgorithm(
      SPEC,
      sourceFilesOfFolder(FOLDER, (path) => NOT_IMAGE.test(path)),
    );
    const file = join(dir, "source.tar");
    writeFileSync(file, algorithm.sourceTar);
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", file], {
      encoding: "utf8",
    });
    expect(listing).toMatch(/^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00:00 main\.py$/m);
  });

  it("error: a source tampered in the bucket fails the commitment check", async () => {
    const algorithm = buildAlgorithm(
      SPEC,
      sourceFilesOfFolder(FOLDER, (path) => NOT_IMAGE.test(path)),
    );
    const da = objectStoreDataAvailability(store);
    await publishAlgorithm(da, algorithm);
    const key = algorithmKeys.source(algorithm.record.source.sha256);
    const tampered = algorithm.sourceTar.slice();
    tampered[512 + 10]! ^= 0x20; // a byte of main.py
    await store.put(BUCKETS.algorithms, key, tampered);
    await expect(
      fetchVerifiedAlgorithm(da, { specCommitment: jobSpecCommitment(SPEC) }),
    ).rejects.toMatchObject({ code: "ALGORITHM_RECORD_INVALID" });
  });

  it("error: reading without the right key is refused by the store", async () => {
    const stranger = new S3ObjectStore({
      endpoint: server.endpoint,
      region: "us-east-1",
      accessKeyId: "nobody",
      secretAccessKey: "not-a-key-0123456789",
    });
    await expect(
      fetchVerifiedAlgorithm(objectStoreDataAvailability(stranger), {
        specCommitment: jobSpecCommitment(SPEC),
      }),
    ).rejects.toMatchObject({ code: "OBJECT_STORE_FAILED" });
  });
});
