/**
 * Review routes inside workerd against the fake chain and a fake Privacy Plane: the reviewer's queue
 * and signed decisions are forwarded only for a reviewer of the job's dataset (token and chain), with
 * a valid EIP-712 signature; the forward contract (paths, headers, body) is checked here.
 */
import {
  ForwardedReviewDecisionSchema,
  JobStatus,
  REVIEW_DECISION_TYPES,
  type ReviewDecisionKind,
  reviewDecisionDomain,
  reviewDecisionMessage,
} from "@cce4long/protocol";
import { type Hex, pad, toHex } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HUB } from "./fake-chain";
import { FakeNetwork, type Seen } from "./fake-network";
import {
  alice,
  bearer,
  bob,
  CHAIN_ID,
  DATASET_1,
  DATASET_2,
  expectProblem,
  get,
  mintTestToken,
  post,
} from "./helpers";

const net = new FakeNetwork();
const OUTPUTS = pad("0x0c", { size: 32 });
let counter = 0;
const freshJobId = () => pad(toHex(0xc000 + ++counter), { size: 32 }) as Hex;
const reviewerToken = (datasetId: Hex = DATASET_1, sub = bob.address) =>
  mintTestToken({ sub, role: { kind: "reviewer", datasetId } });

function jobUnderReview(status: number = JobStatus.UnderReview, datasetId: Hex = DATASET_1): Hex {
  const id = freshJobId();
  net.chain.jobs.push({ id, consumer: alice.address, datasetId, status });
  return id;
}

async function signedDecision(
  jobId: Hex,
  overrides: {
    decision?: ReviewDecisionKind;
    reason?: string;
    signer?: typeof bob;
    deadline?: number;
    signReason?: string;
  } = {},
) {
  const decision = overrides.decision ?? "approve";
  const reason = overrides.reason ?? "Aggregates only; all cells >= 10.";
  const deadline = overrides.deadline ?? Math.floor(Date.now() / 1000) + 600;
  const nonce = "123456789";
  const signer = overrides.signer ?? bob;
  const signature = await signer.signTypedData({
    domain: reviewDecisionDomain(CHAIN_ID, HUB),
    types: REVIEW_DECISION_TYPES,
    primaryType: "ReviewDecision",
    message: reviewDecisionMessage({
      jobId,
      datasetId: DATASET_1,
      outputsCommitment: OUTPUTS,
      decision,
      reason: overrides.signReason ?? reason,
      reviewer: bob.address,
      nonce,
      deadline,
    }),
  });
  return { decision, reason, outputsCommitment: OUTPUTS, nonce, deadline, signature };
}

const decisionAnswer = (seen: Seen) => {
  const body = JSON.parse(seen.body) as { jobId: string; decision: string };
  return Response.json({
    jobId: body.jobId,
    decision: body.decision,
    state: "approved",
    recordedAt: "2026-11-21T07:00:00.000Z",
  });
};

beforeEach(() => {
  net.reset();
  net.chain.datasets = [
    { id: DATASET_1, provider: alice.address, reviewers: [bob.address] },
    { id: DATASET_2, provider: alice.address, reviewers: [bob.address] },
  ];
  net.install();
});
afterEach(() => vi.restoreAllMocks());

describe("GET /v1/reviews?datasetId=", () => {
  const queue = {
    datasetId: DATASET_1,
    items: [
      {
        jobId: pad("0x01", { size: 32 }),
        outputsCommitment: OUTPUTS,
        submittedAt: "2026-11-21T06:00:00.000Z",
        files: 3,
      },
    ],
  };

  it("forwards to the Privacy Plane for a reviewer the chain names, and returns its queue", async () => {
    net.privacyPlane = () => Response.json(queue);
    const response = await get(`/v1/reviews?datasetId=${DATASET_1}`, bearer(await reviewerToken()));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(queue);
    const [seen] = net.privacyPlaneSeen;
    expect(seen!.method).toBe("GET");
    expect(seen!.url).toBe(`http://127.0.0.1:8790/v1/reviews?datasetId=${DATASET_1}`);
    expect(seen!.headers.get("x-cce4long-caller")).toBe(bob.address);
    expect(seen!.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    // No PRIVACY_PLANE_API_TOKEN in the test configuration: no bearer is invented.
    expect(seen!.headers.has("authorization")).toBe(false);
  });

  it("error: a reviewer token for another dataset, or one the chain no longer names -> AUTH_FORBIDDEN", async () => {
    net.privacyPlane = () => Response.json(queue);
    await expectProblem(
      await get(`/v1/reviews?datasetId=${DATASET_1}`, bearer(await reviewerToken(DATASET_2))),
      403,
      "AUTH_FORBIDDEN",
    );
    net.chain.datasets[0]!.reviewers = [];
    await expectProblem(
      await get(`/v1/reviews?datasetId=${DATASET_1}`, bearer(await reviewerToken())),
      403,
      "AUTH_FORBIDDEN",
    );
    expect(net.privacyPlaneSeen).toEqual([]);
  });

  it("error: no token, a consumer or provider token, no or a malformed datasetId", async () => {
    await expectProblem(await get(`/v1/reviews?datasetId=${DATASET_1}`), 401, "AUTH_REQUIRED");
    await expectProblem(
      await get(`/v1/reviews?datasetId=${DATASET_1}`, bearer(await mintTestToken())),
      403,
      "AUTH_FORBIDDEN",
    );
    const provider = await mintTestToken({ role: { kind: "provider", datasetId: DATASET_1 } });
    await expectProblem(
      await get(`/v1/reviews?datasetId=${DATASET_1}`, bearer(provider)),
      403,
      "AUTH_FORBIDDEN",
    );
    await expectProblem(await get("/v1/reviews", bearer(await reviewerToken())), 422, "VALIDATION_FAILED");
    await expectProblem(
      await get("/v1/reviews?datasetId=0x11", bearer(await reviewerToken())),
      422,
      "VALIDATION_FAILED",
    );
  });

  it("error: the Privacy Plane down, failing, answering nonsense or another dataset's queue -> PRIVACY_PLANE_UNAVAILABLE", async () => {
    for (const answer of [
      () => {
        throw new TypeError("Network connection lost.");
      },
      () => new Response("boom", { status: 500 }),
      () => Response.json({ items: "nope" }),
      () => Response.json({ ...queue, datasetId: DATASET_2 }),
    ]) {
      net.privacyPlane = answer;
      await expectProblem(
        await get(`/v1/reviews?datasetId=${DATASET_1}`, bearer(await reviewerToken())),
        503,
        "PRIVACY_PLANE_UNAVAILABLE",
      );
    }
  });
});

describe("POST /v1/reviews/{jobId}/decision", () => {
  it("forwards a decision signed by the reviewer, with what it was checked against", async () => {
    net.privacyPlane = decisionAnswer;
    const jobId = jobUnderReview();
    const body = await signedDecision(jobId);
    const response = await post(`/v1/reviews/${jobId}/decision`, body, bearer(await reviewerToken()));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      jobId,
      decision: "approve",
      state: "approved",
      recordedAt: "2026-11-21T07:00:00.000Z",
    });
    const [seen] = net.privacyPlaneSeen;
    expect(seen!.method).toBe("POST");
    expect(seen!.url).toBe(`http://127.0.0.1:8790/v1/reviews/${jobId}/decision`);
    expect(seen!.headers.get("content-type")).toBe("application/json");
    expect(ForwardedReviewDecisionSchema.parse(JSON.parse(seen!.body))).toEqual({
      jobId,
      datasetId: DATASET_1,
      reviewer: bob.address,
      decision: "approve",
      decisionCode: 4,
      reason: body.reason,
      outputsCommitment: OUTPUTS,
      nonce: body.nonce,
      deadline: body.deadline,
      signature: body.signature,
      chainId: CHAIN_ID,
      verifyingContract: HUB,
    });
  });

  it("error: a reviewer of another dataset -> AUTH_FORBIDDEN, nothing forwarded", async () => {
    net.privacyPlane = decisionAnswer;
    const jobId = jobUnderReview();
    const body = await signedDecision(jobId);
    await expectProblem(
      await post(`/v1/reviews/${jobId}/decision`, body, bearer(await reviewerToken(DATASET_2))),
      403,
      "AUTH_FORBIDDEN",
    );
    expect(net.privacyPlaneSeen).toEqual([]);
  });

  it("error: signed by someone else, over another reason, or past its deadline -> AUTH_FORBIDDEN", async () => {
    net.privacyPlane = decisionAnswer;
    const jobId = jobUnderReview();
    const token = bearer(await reviewerToken());
    for (const body of [
      await signedDecision(jobId, { signer: alice }),
      await signedDecision(jobId, { signReason: "something else" }),
      await signedDecision(jobId, { deadline: Math.floor(Date.now() / 1000) - 1 }),
    ]) {
      await expectProblem(await post(`/v1/reviews/${jobId}/decision`, body, token), 403, "AUTH_FORBIDDEN");
    }
    // The decision kind is part of what is signed: an "approve" signature cannot reject.
    const approve = await signedDecision(jobId);
    await expectProblem(
      await post(`/v1/reviews/${jobId}/decision`, { ...approve, decision: "reject" }, token),
      403,
      "AUTH_FORBIDDEN",
    );
    expect(net.privacyPlaneSeen).toEqual([]);
  });

  it("error: a job not under review -> JOB_INVALID_STATE; an unknown job -> JOB_NOT_FOUND", async () => {
    const approved = jobUnderReview(JobStatus.Approved);
    await expectProblem(
      await post(
        `/v1/reviews/${approved}/decision`,
        await signedDecision(approved),
        bearer(await reviewerToken()),
      ),
      409,
      "JOB_INVALID_STATE",
    );
    const unknown = freshJobId();
    await expectProblem(
      await post(
        `/v1/reviews/${unknown}/decision`,
        await signedDecision(unknown),
        bearer(await reviewerToken()),
      ),
      404,
      "JOB_NOT_FOUND",
    );
  });

  it("passes the Privacy Plane's own refusals through; its failures become PRIVACY_PLANE_UNAVAILABLE", async () => {
    const jobId = jobUnderReview();
    const body = await signedDecision(jobId);
    net.privacyPlane = () =>
      Response.json(
        { code: "JOB_INVALID_STATE", status: 409, title: "x" },
        { status: 409, headers: { "content-type": "application/problem+json" } },
      );
    await expectProblem(
      await post(`/v1/reviews/${jobId}/decision`, body, bearer(await reviewerToken())),
      409,
      "JOB_INVALID_STATE",
    );
    net.privacyPlane = () => Response.json({ code: "INTERNAL" }, { status: 500 });
    await expectProblem(
      await post(`/v1/reviews/${jobId}/decision`, body, bearer(await reviewerToken())),
      503,
      "PRIVACY_PLANE_UNAVAILABLE",
    );
  });

  it("error: no token, a consumer token", async () => {
    const jobId = jobUnderReview();
    const body = await signedDecision(jobId);
    await expectProblem(await post(`/v1/reviews/${jobId}/decision`, body), 401, "AUTH_REQUIRED");
    await expectProblem(
      await post(`/v1/reviews/${jobId}/decision`, body, bearer(await mintTestToken())),
      403,
      "AUTH_FORBIDDEN",
    );
  });

  describe("validation", () => {
    const cases: [string, (b: Record<string, unknown>) => unknown, string][] = [
      ["missing reason", ({ reason: _r, ...b }) => b, "/reason"],
      ["blank reason", (b) => ({ ...b, reason: "   " }), "/reason"],
      ["reason too long", (b) => ({ ...b, reason: "x".repeat(2001) }), "/reason"],
      ["unknown decision", (b) => ({ ...b, decision: "maybe" }), "/decision"],
      ["short signature", (b) => ({ ...b, signature: "0x1234" }), "/signature"],
      ["missing nonce", ({ nonce: _n, ...b }) => b, "/nonce"],
      ["outputsCommitment not 32 bytes", (b) => ({ ...b, outputsCommitment: "0x01" }), "/outputsCommitment"],
    ];
    for (const [name, build, path] of cases) {
      it(`error: ${name} -> VALIDATION_FAILED at ${path}`, async () => {
        const jobId = jobUnderReview();
        const body = build(await signedDecision(jobId));
        const problem = await expectProblem(
          await post(`/v1/reviews/${jobId}/decision`, body, bearer(await reviewerToken())),
          422,
          "VALIDATION_FAILED",
        );
        expect(problem.errors?.map((e) => e.path)).toContain(path);
      });
    }

    it("error: malformed JSON, a non-JSON body, an oversized body, a malformed job id", async () => {
      const jobId = jobUnderReview();
      const token = bearer(await reviewerToken());
      await expectProblem(await post(`/v1/reviews/${jobId}/decision`, "{", token), 400, "BAD_REQUEST");
      await expectProblem(
        await post(`/v1/reviews/${jobId}/decision`, "x", { ...token, "content-type": "text/plain" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      const big = JSON.stringify({ ...(await signedDecision(jobId)), reason: "x".repeat(70_000) });
      await expectProblem(await post(`/v1/reviews/${jobId}/decision`, big, token), 413, "PAYLOAD_TOO_LARGE");
      await expectProblem(
        await post("/v1/reviews/0xz/decision", await signedDecision(jobId), token),
        422,
        "VALIDATION_FAILED",
      );
    });
  });
});
