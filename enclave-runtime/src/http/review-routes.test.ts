/**
 * The review route group against the review service's fakes (runs in tests): the edge's bearer
 * token, the caller named by the edge, on-chain reviewer checks, malformed input, and the
 * development output route refused outside development.
 */
import { keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { devOutputRoutes } from "../review/insecure/dev-output-routes";
import {
  DATASET,
  FILES,
  harness,
  otherReviewer,
  report,
  reviewer,
  signedDecision,
} from "../review/test-support";
import { createPrivacyPlaneApp } from "./app";
import { reviewRoutes } from "./review-routes";

const TOKEN = "t".repeat(40);
const JOB = keccak256(stringToBytes("routes-job"));

async function setUp() {
  const h = harness();
  h.chain.addJob(JOB, h.consumer.publicKey);
  h.nextReport.value = report("needs-review");
  const record = await h.service.accept({
    jobId: JOB,
    declared: [],
    files: FILES.map((f) => ({ ...f, bytes: f.bytes.slice() })),
  });
  const app = createPrivacyPlaneApp({
    deployment: "development",
    guestAgentReachable: async () => true,
    log: () => {},
    routes: [reviewRoutes({ service: h.service, apiToken: TOKEN })],
  });
  const call = (
    path: string,
    init: { method?: string; body?: unknown; caller?: string; token?: string | null } = {},
  ) =>
    app.request(path, {
      method: init.method ?? "GET",
      headers: {
        ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? TOKEN}` }),
        ...(init.caller ? { "x-cce4long-caller": init.caller } : {}),
        "content-type": "application/json",
      },
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });
  return { h, record, call };
}

describe("review routes", () => {
  it("serves the queue and the outputs to the dataset's reviewer", async () => {
    const { call } = await setUp();
    const queue = await call(`/v1/reviews?datasetId=${DATASET}`, { caller: reviewer.address });
    expect(queue.status).toBe(200);
    expect(await queue.json()).toMatchObject({
      datasetId: DATASET,
      items: [{ jobId: JOB, gateDecision: "needs-review" }],
    });
    const detail = await call(`/v1/reviews/${JOB}`, { caller: reviewer.address });
    const body = (await detail.json()) as { outputs: { content: string }[] };
    expect(Buffer.from(body.outputs[0]?.content ?? "", "base64").toString()).toBe(
      "group,count\na,20\nb,30\n",
    );
  });

  it.each([
    ["no bearer token", { token: null }, 401],
    ["a wrong bearer token", { token: "x".repeat(40) }, 401],
    ["no caller", {}, 401],
    ["a caller who reviews another dataset", { caller: otherReviewer.address }, 403],
  ])("refuses the queue with %s", async (_name, init, status) => {
    const { call } = await setUp();
    const res = await call(`/v1/reviews?datasetId=${DATASET}`, init as never);
    expect(res.status).toBe(status);
  });

  it("refuses a malformed dataset id and an unknown job", async () => {
    const { call } = await setUp();
    expect((await call("/v1/reviews?datasetId=nope", { caller: reviewer.address })).status).toBe(422);
    expect(
      (await call(`/v1/reviews/${keccak256(stringToBytes("x"))}`, { caller: reviewer.address })).status,
    ).toBe(404);
  });

  it("accepts a signed decision from its reviewer and answers the new state", async () => {
    const { call, record, h } = await setUp();
    const body = await signedDecision({
      jobId: JOB,
      outputsCommitment: record.outputsCommitment,
      decision: "reject",
      deadline: Math.floor(h.clock.now.getTime() / 1000) + 600,
    });
    const res = await call(`/v1/reviews/${JOB}/decision`, { method: "POST", body, caller: reviewer.address });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jobId: JOB, decision: "reject", state: "rejected" });
  });

  it.each([
    ["malformed JSON", "{", 400],
    ["a body missing its signature", { jobId: JOB }, 422],
  ])("refuses a decision with %s", async (_name, body, status) => {
    const { call } = await setUp();
    const res = await call(`/v1/reviews/${JOB}/decision`, { method: "POST", body, caller: reviewer.address });
    expect(res.status).toBe(status);
  });

  it("refuses a decision forwarded for another caller than its reviewer", async () => {
    const { call, record, h } = await setUp();
    const body = await signedDecision({
      jobId: JOB,
      outputsCommitment: record.outputsCommitment,
      decision: "approve",
      deadline: Math.floor(h.clock.now.getTime() / 1000) + 600,
    });
    const res = await call(`/v1/reviews/${JOB}/decision`, {
      method: "POST",
      body,
      caller: otherReviewer.address,
    });
    expect(res.status).toBe(403);
  });

  it("refuses to build the development output route outside development", async () => {
    const { h } = await setUp();
    expect(() => devOutputRoutes({ deployment: "production", service: h.service, apiToken: TOKEN })).toThrow(
      expect.objectContaining({ code: "INSECURE_DEV_REFUSED" }),
    );
  });
});
