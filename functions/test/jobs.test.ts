/**
 * Job routes inside workerd against the fake chain, Pub/Sub and Privacy Plane: submission (checks,
 * one publish per job, idempotent answers), listing, status and cancellation, with every
 * authorization and validation failure. Against the real local stack: test/integration.
 */
import type { CancelJobResponse, JobDetail, JobSubmission, ListJobsResponse } from "@cce4long/protocol";
import { JobStatus } from "@cce4long/protocol";
import { JobSubmittedMessage } from "@cce4long/protocol/queue/messages";
import { type Hex, pad, toHex } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeNetwork } from "./fake-network";
import { alice, bearer, bob, DATASET_1, DATASET_2, expectProblem, get, mintTestToken, post } from "./helpers";

const net = new FakeNetwork();
const future = BigInt(Math.floor(Date.now() / 1000) + 3600);
const past = BigInt(Math.floor(Date.now() / 1000) - 3600);
let counter = 0;
/** A fresh job id per test: submissions persist in Durable Objects for the whole file. */
const freshJobId = () => pad(toHex(0xa000 + ++counter), { size: 32 }) as Hex;

const bobToken = () => mintTestToken({ sub: bob.address });

function addJob(
  status: number,
  options: { consumer?: `0x${string}`; datasetId?: Hex; events?: never[] } = {},
): Hex {
  const id = freshJobId();
  net.chain.jobs.push({
    id,
    consumer: options.consumer ?? bob.address,
    datasetId: options.datasetId ?? DATASET_1,
    status,
    datasetVersion: status >= JobStatus.Dispatched ? 1 : 0,
  });
  return id;
}

beforeEach(() => {
  net.reset();
  net.chain.datasets = [
    { id: DATASET_1, provider: alice.address, rentals: [{ consumer: bob.address, expiresAt: future }] },
    { id: DATASET_2, provider: alice.address, rentals: [{ consumer: bob.address, expiresAt: past }] },
  ];
  net.install();
});
afterEach(() => vi.restoreAllMocks());

describe("POST /v1/jobs", () => {
  it("queues a requested job once on the jobs topic, deduplicated by job id", async () => {
    const jobId = addJob(JobStatus.Requested);
    const response = await post("/v1/jobs", { jobId }, bearer(await bobToken()));
    expect(response.status).toBe(202);
    expect(response.headers.get("idempotent-replayed")).toBe("false");
    const body = (await response.json()) as JobSubmission;
    expect(body).toMatchObject({
      jobId,
      datasetId: DATASET_1,
      consumer: bob.address,
      status: "submitted",
      messageId: "1",
    });
    expect(net.published).toHaveLength(1);
    const [sent] = net.published;
    expect(sent!.url).toBe("http://127.0.0.1:8085/v1/projects/cce4long-local/topics/cce4long-jobs:publish");
    expect(sent!.attributes).toEqual({ "cce4long-job-id": jobId });
    expect(JobSubmittedMessage.parse(sent!.message)).toEqual({
      type: "job.submitted",
      version: 1,
      jobId,
      datasetId: DATASET_1,
      consumer: bob.address,
      submittedAt: body.submittedAt,
    });
  });

  it("answers a re-submission with the same body and publishes nothing more", async () => {
    const jobId = addJob(JobStatus.Requested);
    const first = await post("/v1/jobs", { jobId }, bearer(await bobToken()));
    const again = await post("/v1/jobs", { jobId }, bearer(await bobToken()));
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(await first.json());
    expect(net.published).toHaveLength(1);
  });

  it("publishes once when the same job is submitted concurrently", async () => {
    const jobId = addJob(JobStatus.Requested);
    const token = await bobToken();
    const responses = await Promise.all([1, 2, 3, 4].map(() => post("/v1/jobs", { jobId }, bearer(token))));
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(net.published).toHaveLength(1);
  });

  it("keeps answering a submitted job the same after its rental expired and it moved on", async () => {
    const jobId = addJob(JobStatus.Requested);
    const first = await (await post("/v1/jobs", { jobId }, bearer(await bobToken()))).json();
    net.chain.jobs.find((j) => j.id === jobId)!.status = JobStatus.Dispatched;
    net.chain.datasets[0]!.rentals = [{ consumer: bob.address, expiresAt: past }];
    const again = await post("/v1/jobs", { jobId }, bearer(await bobToken()));
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual(first);
  });

  it("error: the queue unreachable -> QUEUE_UNAVAILABLE, and a later retry publishes", async () => {
    const jobId = addJob(JobStatus.Requested);
    net.pubsubDown = true;
    await expectProblem(
      await post("/v1/jobs", { jobId }, bearer(await bobToken())),
      503,
      "QUEUE_UNAVAILABLE",
    );
    net.pubsubDown = false;
    const retry = await post("/v1/jobs", { jobId }, bearer(await bobToken()));
    expect(retry.status).toBe(202);
    expect(retry.headers.get("idempotent-replayed")).toBe("false");
    expect(net.published).toHaveLength(1);
  });

  it("error: another consumer's job -> AUTH_FORBIDDEN, nothing queued", async () => {
    const jobId = addJob(JobStatus.Requested, { consumer: alice.address });
    await expectProblem(await post("/v1/jobs", { jobId }, bearer(await bobToken())), 403, "AUTH_FORBIDDEN");
    expect(net.published).toEqual([]);
  });

  it("error: a job never requested on-chain -> JOB_NOT_FOUND", async () => {
    await expectProblem(
      await post("/v1/jobs", { jobId: freshJobId() }, bearer(await bobToken())),
      404,
      "JOB_NOT_FOUND",
    );
  });

  it("error: an expired rental -> RENTAL_INACTIVE, nothing queued", async () => {
    const jobId = addJob(JobStatus.Requested, { datasetId: DATASET_2 });
    await expectProblem(await post("/v1/jobs", { jobId }, bearer(await bobToken())), 403, "RENTAL_INACTIVE");
    expect(net.published).toEqual([]);
  });

  it("error: a job already dispatched or cancelled (never submitted here) -> JOB_INVALID_STATE", async () => {
    for (const status of [JobStatus.Dispatched, JobStatus.Cancelled]) {
      const jobId = addJob(status);
      const problem = await expectProblem(
        await post("/v1/jobs", { jobId }, bearer(await bobToken())),
        409,
        "JOB_INVALID_STATE",
      );
      expect(problem.detail).toMatch(
        /^The job is (dispatched|cancelled); only a requested job can be submitted$/,
      );
    }
    expect(net.published).toEqual([]);
  });

  it("error: the chain unreachable -> CHAIN_UNREACHABLE", async () => {
    const jobId = addJob(JobStatus.Requested);
    net.chain.down = true;
    await expectProblem(
      await post("/v1/jobs", { jobId }, bearer(await bobToken())),
      503,
      "CHAIN_UNREACHABLE",
    );
  });

  it("error: no token, a provider or reviewer token, an expired token", async () => {
    const jobId = addJob(JobStatus.Requested);
    await expectProblem(await post("/v1/jobs", { jobId }), 401, "AUTH_REQUIRED");
    for (const kind of ["provider", "reviewer"] as const) {
      const token = await mintTestToken({ sub: bob.address, role: { kind, datasetId: DATASET_1 } });
      await expectProblem(await post("/v1/jobs", { jobId }, bearer(token)), 403, "AUTH_FORBIDDEN");
    }
    const now = Math.floor(Date.now() / 1000);
    const expired = await mintTestToken({ sub: bob.address, iat: now - 1000, exp: now - 1 });
    await expectProblem(await post("/v1/jobs", { jobId }, bearer(expired)), 401, "AUTH_INVALID");
    expect(net.published).toEqual([]);
  });

  describe("validation", () => {
    const cases: [string, unknown, string][] = [
      ["missing jobId", {}, "/jobId"],
      ["jobId not 32 bytes", { jobId: "0x1234" }, "/jobId"],
      ["jobId not hex", { jobId: `0x${"zz".repeat(32)}` }, "/jobId"],
      ["jobId not a string", { jobId: 7 }, "/jobId"],
      ["not an object", [1, 2], "/"],
    ];
    for (const [name, body, path] of cases) {
      it(`error: ${name} -> VALIDATION_FAILED at ${path}`, async () => {
        const problem = await expectProblem(
          await post("/v1/jobs", body, bearer(await bobToken())),
          422,
          "VALIDATION_FAILED",
        );
        expect(problem.errors?.map((e) => e.path)).toContain(path);
      });
    }

    it("error: malformed JSON -> BAD_REQUEST; not JSON -> UNSUPPORTED_MEDIA_TYPE; too large -> PAYLOAD_TOO_LARGE", async () => {
      const token = bearer(await bobToken());
      await expectProblem(await post("/v1/jobs", '{"jobId": ', token), 400, "BAD_REQUEST");
      await expectProblem(
        await post("/v1/jobs", "jobId=0x01", {
          ...token,
          "content-type": "application/x-www-form-urlencoded",
        }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      const big = JSON.stringify({ jobId: freshJobId(), pad: "x".repeat(70_000) });
      await expectProblem(await post("/v1/jobs", big, token), 413, "PAYLOAD_TOO_LARGE");
      expect(net.published).toEqual([]);
    });
  });
});

describe("GET /v1/jobs", () => {
  it("lists the consumer's jobs with their current status, oldest first, optionally by dataset", async () => {
    const a = addJob(JobStatus.Requested);
    const b = addJob(JobStatus.UnderReview, { datasetId: DATASET_2 });
    addJob(JobStatus.Requested, { consumer: alice.address });
    const response = await get("/v1/jobs", bearer(await bobToken()));
    expect(response.status).toBe(200);
    const { jobs } = (await response.json()) as ListJobsResponse;
    expect(jobs.map((j) => [j.jobId, j.datasetId, j.status])).toEqual([
      [a, DATASET_1, "requested"],
      [b, DATASET_2, "under-review"],
    ]);
    expect(jobs[0]).toMatchObject({
      consumer: bob.address,
      imageDigest: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    const filtered = (await (
      await get(`/v1/jobs?datasetId=${DATASET_2}`, bearer(await bobToken()))
    ).json()) as ListJobsResponse;
    expect(filtered.jobs.map((j) => j.jobId)).toEqual([b]);
  });

  it("error: no token / a provider token / a malformed dataset filter", async () => {
    await expectProblem(await get("/v1/jobs"), 401, "AUTH_REQUIRED");
    const provider = await mintTestToken({ role: { kind: "provider", datasetId: DATASET_1 } });
    await expectProblem(await get("/v1/jobs", bearer(provider)), 403, "AUTH_FORBIDDEN");
    await expectProblem(
      await get("/v1/jobs?datasetId=0x12", bearer(await bobToken())),
      422,
      "VALIDATION_FAILED",
    );
  });
});

describe("GET /v1/jobs/{jobId}", () => {
  it("combines the on-chain record and events, the submission and the Privacy Plane's report", async () => {
    const jobId = addJob(JobStatus.Requested);
    await post("/v1/jobs", { jobId }, bearer(await bobToken()));
    const job = net.chain.jobs.find((j) => j.id === jobId)!;
    job.status = JobStatus.Dispatched;
    job.datasetVersion = 3;
    job.events = [{ eventName: "JobDispatched", args: { datasetVersion: 3 } }] as never;
    net.privacyPlane = (seen) =>
      new URL(seen.url).pathname === `/v1/jobs/${jobId}`
        ? Response.json({ phase: "running", updatedAt: "2026-11-21T06:00:00.000Z", vm: "cvm-1" })
        : new Response(null, { status: 404 });
    const response = await get(`/v1/jobs/${jobId}`, bearer(await bobToken()));
    expect(response.status).toBe(200);
    const detail = (await response.json()) as JobDetail;
    expect(detail).toMatchObject({
      jobId,
      status: "dispatched",
      datasetVersion: 3,
      requestedAt: "2027-01-15T08:00:00.000Z",
      submission: { messageId: "1" },
      privacyPlane: { phase: "running", vm: "cvm-1" },
    });
    expect(detail.events.map((e) => e.eventName)).toEqual(["JobRequested", "JobDispatched"]);
    expect(net.privacyPlaneSeen[0]!.headers.get("x-cce4long-caller")).toBe(bob.address);
  });

  it("answers from the chain alone when the Privacy Plane has no report or is down", async () => {
    const jobId = addJob(JobStatus.Requested);
    const noReport = (await (await get(`/v1/jobs/${jobId}`, bearer(await bobToken()))).json()) as JobDetail;
    expect(noReport).toMatchObject({ privacyPlane: null, submission: null, datasetVersion: null });
    net.privacyPlane = () => {
      throw new TypeError("Network connection lost.");
    };
    const down = await get(`/v1/jobs/${jobId}`, bearer(await bobToken()));
    expect(down.status).toBe(200);
    expect(((await down.json()) as JobDetail).privacyPlane).toBeNull();
  });

  it("error: another consumer's job -> AUTH_FORBIDDEN; unknown -> JOB_NOT_FOUND; malformed -> VALIDATION_FAILED", async () => {
    const theirs = addJob(JobStatus.Requested, { consumer: alice.address });
    await expectProblem(await get(`/v1/jobs/${theirs}`, bearer(await bobToken())), 403, "AUTH_FORBIDDEN");
    await expectProblem(
      await get(`/v1/jobs/${freshJobId()}`, bearer(await bobToken())),
      404,
      "JOB_NOT_FOUND",
    );
    await expectProblem(await get("/v1/jobs/0x42", bearer(await bobToken())), 422, "VALIDATION_FAILED");
    await expectProblem(await get(`/v1/jobs/${theirs}`), 401, "AUTH_REQUIRED");
  });
});

describe("POST /v1/jobs/{jobId}/cancel", () => {
  it("queues a cancellation request for the Privacy Plane to decide", async () => {
    const jobId = addJob(JobStatus.KeyReleased);
    const response = await post(`/v1/jobs/${jobId}/cancel`, {}, bearer(await bobToken()));
    expect(response.status).toBe(202);
    const body = (await response.json()) as CancelJobResponse;
    expect(body).toMatchObject({ jobId, status: "cancel-requested" });
    expect(net.published).toHaveLength(1);
    expect(net.published[0]!.message).toEqual({
      type: "job.cancel-requested",
      version: 1,
      jobId,
      consumer: bob.address,
      submittedAt: body.requestedAt,
    });
    expect(net.published[0]!.attributes).toEqual({ "cce4long-job-id": jobId });
  });

  it("error: a job that already ended -> JOB_INVALID_STATE; another's -> AUTH_FORBIDDEN; no token", async () => {
    for (const status of [
      JobStatus.ResultReleased,
      JobStatus.Failed,
      JobStatus.Cancelled,
      JobStatus.Rejected,
    ]) {
      const jobId = addJob(status);
      await expectProblem(
        await post(`/v1/jobs/${jobId}/cancel`, {}, bearer(await bobToken())),
        409,
        "JOB_INVALID_STATE",
      );
    }
    const theirs = addJob(JobStatus.Requested, { consumer: alice.address });
    await expectProblem(
      await post(`/v1/jobs/${theirs}/cancel`, {}, bearer(await bobToken())),
      403,
      "AUTH_FORBIDDEN",
    );
    await expectProblem(await post(`/v1/jobs/${theirs}/cancel`, {}), 401, "AUTH_REQUIRED");
    expect(net.published).toEqual([]);
  });
});
