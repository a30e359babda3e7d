/**
 * GET /v1/jobs/{jobId}/result inside workerd, against the fake chain and a fake object store that
 * insists on SigV4-signed reads: the manifest and presigned URLs for a released result, and every
 * refusal. Presigned URLs against a real S3 server: test/integration.
 */
import type { JobResult } from "@cce4long/protocol";
import { JobStatus } from "@cce4long/protocol";
import { type Hex, pad, toHex } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeNetwork } from "./fake-network";
import { alice, bearer, bob, DATASET_1, expectProblem, get, mintTestToken } from "./helpers";

const net = new FakeNetwork();
const MANIFEST_HASH = pad("0x3a", { size: 32 });
let counter = 0;
const freshJobId = () => pad(toHex(0xb000 + ++counter), { size: 32 }) as Hex;
const bobToken = () => mintTestToken({ sub: bob.address });
const sha = (c: string) => c.repeat(64);

function releasedJob(consumer = bob.address): Hex {
  const id = freshJobId();
  net.chain.jobs.push({
    id,
    consumer,
    datasetId: DATASET_1,
    status: JobStatus.ResultReleased,
    datasetVersion: 1,
    events: [{ eventName: "JobResultReleased", args: { resultManifestHash: MANIFEST_HASH } }],
  });
  return id;
}

function storeManifest(
  jobId: Hex,
  outputs = [{ path: "tables/km by age.csv", sha256: sha("a"), size: 1234 }],
) {
  const manifest = { kind: "cce4long/result-manifest", jobId, outputs, signature: `0x${"11".repeat(65)}` };
  net.objects.set(`cce4long-results/jobs/${jobId}/manifest.json`, JSON.stringify(manifest));
  return manifest;
}

beforeEach(() => {
  net.reset();
  net.chain.datasets = [{ id: DATASET_1, provider: alice.address }];
  net.install();
});
afterEach(() => vi.restoreAllMocks());

describe("GET /v1/jobs/{jobId}/result", () => {
  it("returns the stored manifest, the on-chain hash and presigned GET URLs per object", async () => {
    const jobId = releasedJob();
    const manifest = storeManifest(jobId);
    const response = await get(`/v1/jobs/${jobId}/result`, bearer(await bobToken()));
    expect(response.status).toBe(200);
    const result = (await response.json()) as JobResult;
    expect(result).toMatchObject({
      jobId,
      datasetId: DATASET_1,
      resultManifestHash: MANIFEST_HASH,
      manifest,
    });
    const ttl = Date.parse(result.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);

    const manifestUrl = new URL(result.manifestUrl);
    expect(manifestUrl.origin + manifestUrl.pathname).toBe(
      `http://127.0.0.1:9000/cce4long-results/jobs/${jobId}/manifest.json`,
    );
    const [download] = result.downloads;
    expect(download).toMatchObject({ path: "tables/km by age.csv", sha256: sha("a"), size: 1234 });
    const url = new URL(download!.url);
    expect(url.pathname).toBe(`/cce4long-results/jobs/${jobId}/outputs/tables/km%20by%20age.csv`);
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Expires")).toBe("300");
    expect(url.searchParams.get("X-Amz-Credential")).toMatch(/^S3RVER\/\d{8}\/us-east-1\/s3\/aws4_request$/);
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    // The signature covers the key: two objects never share one.
    expect(new URL(result.manifestUrl).searchParams.get("X-Amz-Signature")).not.toBe(
      url.searchParams.get("X-Amz-Signature"),
    );
    // The manifest was read with a signed request, never anonymously.
    expect(net.storeSeen[0]!.headers.get("authorization")).toMatch(/^AWS4-HMAC-SHA256 Credential=S3RVER\//);
  });

  it("error: a job not released yet -> JOB_INVALID_STATE naming its status", async () => {
    const jobId = freshJobId();
    net.chain.jobs.push({
      id: jobId,
      consumer: bob.address,
      datasetId: DATASET_1,
      status: JobStatus.UnderReview,
    });
    const problem = await expectProblem(
      await get(`/v1/jobs/${jobId}/result`, bearer(await bobToken())),
      409,
      "JOB_INVALID_STATE",
    );
    expect(problem.detail).toBe("The job is under-review; a result is available once it is released");
    expect(net.storeSeen).toEqual([]);
  });

  it("error: another consumer's result -> AUTH_FORBIDDEN, storage never touched", async () => {
    const jobId = releasedJob(alice.address);
    storeManifest(jobId);
    await expectProblem(
      await get(`/v1/jobs/${jobId}/result`, bearer(await bobToken())),
      403,
      "AUTH_FORBIDDEN",
    );
    expect(net.storeSeen).toEqual([]);
  });

  it("error: no token, a provider or reviewer token, an unknown job, a malformed id", async () => {
    const jobId = releasedJob();
    await expectProblem(await get(`/v1/jobs/${jobId}/result`), 401, "AUTH_REQUIRED");
    for (const kind of ["provider", "reviewer"] as const) {
      const token = await mintTestToken({ sub: bob.address, role: { kind, datasetId: DATASET_1 } });
      await expectProblem(await get(`/v1/jobs/${jobId}/result`, bearer(token)), 403, "AUTH_FORBIDDEN");
    }
    await expectProblem(
      await get(`/v1/jobs/${freshJobId()}/result`, bearer(await bobToken())),
      404,
      "JOB_NOT_FOUND",
    );
    await expectProblem(await get("/v1/jobs/0x1/result", bearer(await bobToken())), 422, "VALIDATION_FAILED");
  });

  it("error: released on-chain but no manifest, another job's manifest, or an unsafe path -> RESULT_UNAVAILABLE", async () => {
    const missing = releasedJob();
    await expectProblem(
      await get(`/v1/jobs/${missing}/result`, bearer(await bobToken())),
      503,
      "RESULT_UNAVAILABLE",
    );

    const swapped = releasedJob();
    net.objects.set(
      `cce4long-results/jobs/${swapped}/manifest.json`,
      JSON.stringify({ jobId: freshJobId(), outputs: [] }),
    );
    await expectProblem(
      await get(`/v1/jobs/${swapped}/result`, bearer(await bobToken())),
      503,
      "RESULT_UNAVAILABLE",
    );

    for (const path of ["../other-job/manifest.json", "/etc/passwd", "a//b", "a\\b"]) {
      const escaping = releasedJob();
      storeManifest(escaping, [{ path, sha256: sha("b"), size: 1 }]);
      await expectProblem(
        await get(`/v1/jobs/${escaping}/result`, bearer(await bobToken())),
        503,
        "RESULT_UNAVAILABLE",
      );
    }
  });
});
