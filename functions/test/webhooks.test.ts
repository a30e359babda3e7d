/**
 * Webhooks inside workerd: registering, listing and deleting endpoints; signed deliveries of job
 * events with retries and backoff (the endpoint's Durable Object alarm); the Privacy Plane's internal
 * event channel; and job triggers from signed incoming webhooks, with replay and timestamp checks.
 */
import {
  createExecutionContext,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
  SELF,
  waitOnExecutionContext,
} from "cloudflare:test";
import type { CreatedWebhook, ListWebhooksResponse } from "@cce4long/protocol";
import { JobStatus } from "@cce4long/protocol";
import { type Hex, pad, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { MAX_ATTEMPTS, retryDelayMs } from "../src/webhooks/backoff";
import type { Delivery } from "../src/webhooks/endpoint-store";
import { endpointStub } from "../src/webhooks/endpoint-store";
import { newWebhookSecret, signWebhook, verifyWebhook } from "../src/webhooks/signature";
import { checkDeliveryUrl } from "../src/webhooks/url-policy";
import { FakeNetwork } from "./fake-network";
import {
  alice,
  BASE,
  bearer,
  bob,
  DATASET_1,
  DATASET_2,
  expectProblem,
  get,
  mintTestToken,
  post,
} from "./helpers";
import { WORKER_TEST_SECRETS } from "./test-secrets";

const net = new FakeNetwork();
const RECEIVER = "http://receiver.test";
const future = BigInt(Math.floor(Date.now() / 1000) + 3600);
const past = BigInt(Math.floor(Date.now() / 1000) - 3600);
let counter = 0;
const freshJobId = () => pad(toHex(0xd000 + ++counter), { size: 32 }) as Hex;
/** A fresh wallet per test where endpoint lists must start empty (Durable Objects persist per file). */
const freshAccount = () => privateKeyToAccount(pad(toHex(0xe000 + ++counter), { size: 32 }));

const consumerToken = (sub: `0x${string}` = bob.address) => mintTestToken({ sub });
const providerToken = (datasetId: Hex = DATASET_1, sub: `0x${string}` = alice.address) =>
  mintTestToken({ sub, role: { kind: "provider", datasetId } });

async function register(token: string, body: unknown): Promise<CreatedWebhook> {
  const response = await post("/v1/webhooks", body, bearer(token));
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedWebhook;
}

function del(path: string, headers: Record<string, string>) {
  return SELF.fetch(`${BASE}${path}`, { method: "DELETE", headers });
}

function requestedJob(consumer: `0x${string}` = bob.address): Hex {
  const id = freshJobId();
  net.chain.jobs.push({ id, consumer, datasetId: DATASET_1, status: JobStatus.Requested });
  return id;
}

beforeEach(() => {
  net.reset();
  net.chain.datasets = [
    { id: DATASET_1, provider: alice.address, rentals: [{ consumer: bob.address, expiresAt: future }] },
    { id: DATASET_2, provider: alice.address },
  ];
  net.receivers.set(RECEIVER, () => new Response(null, { status: 204 }));
  net.install();
});
afterEach(() => vi.restoreAllMocks());

describe("registering endpoints", () => {
  it("a consumer registers a delivery endpoint, sees it listed without its secret, and deletes it", async () => {
    const me = freshAccount();
    const token = await consumerToken(me.address);
    const created = await register(token, {
      kind: "delivery",
      url: `${RECEIVER}/hook`,
      events: ["job.*"],
      description: "ci",
    });
    expect(created).toMatchObject({
      kind: "delivery",
      owner: me.address.toLowerCase(),
      role: "consumer",
      datasetId: null,
      url: `${RECEIVER}/hook`,
      events: ["job.*"],
      description: "ci",
      triggerPath: null,
      deliveries: { pending: 0, delivered: 0, failed: 0 },
    });
    expect(created.id).toMatch(/^wh_[0-9a-f]{32}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const listed = (await (await get("/v1/webhooks", bearer(token))).json()) as ListWebhooksResponse;
    expect(listed.endpoints).toEqual([{ ...created, secret: undefined }].map(({ secret: _s, ...e }) => e));
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    expect((await del(`/v1/webhooks/${created.id}`, bearer(token))).status).toBe(204);
    expect(
      ((await (await get("/v1/webhooks", bearer(token))).json()) as ListWebhooksResponse).endpoints,
    ).toEqual([]);
    await expectProblem(await del(`/v1/webhooks/${created.id}`, bearer(token)), 404, "NOT_FOUND");
  });

  it("keeps a provider's endpoints per dataset, apart from the same address's consumer endpoints", async () => {
    const me = freshAccount();
    const forDataset1 = await register(await providerToken(DATASET_1, me.address), {
      kind: "delivery",
      url: `${RECEIVER}/p1`,
      events: ["*"],
    });
    expect(forDataset1).toMatchObject({ role: "provider", datasetId: DATASET_1 });
    const list = async (token: string) =>
      ((await (await get("/v1/webhooks", bearer(token))).json()) as ListWebhooksResponse).endpoints.map(
        (e) => e.id,
      );
    expect(await list(await providerToken(DATASET_1, me.address))).toEqual([forDataset1.id]);
    expect(await list(await providerToken(DATASET_2, me.address))).toEqual([]);
    expect(await list(await consumerToken(me.address))).toEqual([]);
    // Not deletable from another scope: it looks missing.
    await expectProblem(
      await del(`/v1/webhooks/${forDataset1.id}`, bearer(await consumerToken(me.address))),
      404,
      "NOT_FOUND",
    );
  });

  it("a consumer registers a trigger endpoint; a provider cannot", async () => {
    const trigger = await register(await consumerToken(freshAccount().address), { kind: "trigger" });
    expect(trigger).toMatchObject({
      kind: "trigger",
      url: null,
      events: [],
      triggerPath: `/v1/webhooks/trigger/${trigger.id}`,
    });
    await expectProblem(
      await post("/v1/webhooks", { kind: "trigger" }, bearer(await providerToken())),
      403,
      "AUTH_FORBIDDEN",
    );
  });

  it("error: another address's endpoint cannot be deleted (it looks missing)", async () => {
    const theirs = await register(await consumerToken(freshAccount().address), { kind: "trigger" });
    await expectProblem(
      await del(`/v1/webhooks/${theirs.id}`, bearer(await consumerToken(freshAccount().address))),
      404,
      "NOT_FOUND",
    );
  });

  it("error: more than 20 endpoints for one address -> CONFLICT", async () => {
    const token = await consumerToken(freshAccount().address);
    for (let i = 0; i < 20; i++) await register(token, { kind: "trigger" });
    await expectProblem(await post("/v1/webhooks", { kind: "trigger" }, bearer(token)), 409, "CONFLICT");
  });

  it("error: no token, a reviewer token", async () => {
    const body = { kind: "trigger" };
    await expectProblem(await post("/v1/webhooks", body), 401, "AUTH_REQUIRED");
    const reviewer = await mintTestToken({ role: { kind: "reviewer", datasetId: DATASET_1 } });
    await expectProblem(await post("/v1/webhooks", body, bearer(reviewer)), 403, "AUTH_FORBIDDEN");
    await expectProblem(await get("/v1/webhooks", bearer(reviewer)), 403, "AUTH_FORBIDDEN");
    await expectProblem(await get("/v1/webhooks"), 401, "AUTH_REQUIRED");
    await expectProblem(await del(`/v1/webhooks/wh_${"0".repeat(32)}`, {}), 401, "AUTH_REQUIRED");
  });

  describe("validation", () => {
    const cases: [string, unknown, string][] = [
      ["unknown kind", { kind: "pager" }, "/kind"],
      ["missing url", { kind: "delivery", events: ["*"] }, "/url"],
      ["not a URL", { kind: "delivery", url: "receiver", events: ["*"] }, "/url"],
      ["ftp URL", { kind: "delivery", url: "ftp://receiver.test/x", events: ["*"] }, "/url"],
      [
        "credentials in the URL",
        { kind: "delivery", url: "https://u:p@receiver.test/x", events: ["*"] },
        "/url",
      ],
      ["unknown event", { kind: "delivery", url: `${RECEIVER}/x`, events: ["job.exploded"] }, "/events/0"],
      ["no events", { kind: "delivery", url: `${RECEIVER}/x`, events: [] }, "/events"],
    ];
    for (const [name, body, path] of cases) {
      it(`error: ${name} -> VALIDATION_FAILED at ${path}`, async () => {
        const problem = await expectProblem(
          await post("/v1/webhooks", body, bearer(await consumerToken())),
          422,
          "VALIDATION_FAILED",
        );
        expect(problem.errors?.map((e) => e.path)).toContain(path);
      });
    }

    it("error: malformed JSON, not JSON, oversized, a malformed endpoint id", async () => {
      const token = bearer(await consumerToken());
      await expectProblem(await post("/v1/webhooks", "{", token), 400, "BAD_REQUEST");
      await expectProblem(
        await post("/v1/webhooks", "k=v", { ...token, "content-type": "text/plain" }),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      );
      await expectProblem(
        await post(
          "/v1/webhooks",
          JSON.stringify({ kind: "trigger", description: "x".repeat(70_000) }),
          token,
        ),
        413,
        "PAYLOAD_TOO_LARGE",
      );
      await expectProblem(await del("/v1/webhooks/nope", token), 422, "VALIDATION_FAILED");
    });
  });

  it("the URL rule: https only in production, and no local or literal-address hosts there", () => {
    expect(checkDeliveryUrl("http://127.0.0.1:9999/hook", "development").toString()).toBe(
      "http://127.0.0.1:9999/hook",
    );
    expect(checkDeliveryUrl("https://hooks.example.org/x", "production").toString()).toBe(
      "https://hooks.example.org/x",
    );
    for (const url of [
      "http://hooks.example.org/x",
      "https://127.0.0.1/x",
      "https://[::1]/x",
      "https://localhost/x",
      "https://metadata.google.internal/x",
      "https://2130706433/x",
    ]) {
      expect(() => checkDeliveryUrl(url, "production"), url).toThrow(/failed validation/);
    }
  });
});

/** The single pending delivery in an endpoint's object. */
async function pendingDelivery(endpointId: string): Promise<[string, Delivery] | undefined> {
  return runInDurableObject(endpointStub(env.WEBHOOK_ENDPOINTS, endpointId), async (_o, state) => {
    const entries = [...(await state.storage.list<Delivery>({ prefix: "delivery:" })).entries()];
    return entries[0];
  });
}

/** Makes the pending delivery due now (time passing), then runs the alarm. */
async function elapseAndRunAlarm(endpointId: string): Promise<void> {
  const stub = endpointStub(env.WEBHOOK_ENDPOINTS, endpointId);
  await runInDurableObject(stub, async (_o, state) => {
    for (const [key, d] of await state.storage.list<Delivery>({ prefix: "delivery:" })) {
      await state.storage.put(key, { ...d, nextAttemptAtMs: Date.now() - 1 });
    }
  });
  await runDurableObjectAlarm(stub);
}

describe("deliveries", () => {
  it("delivers job.submitted to the consumer's endpoint, signed per Standard Webhooks", async () => {
    const hook = await register(await consumerToken(), {
      kind: "delivery",
      url: `${RECEIVER}/jobs`,
      events: ["job.submitted"],
    });
    const jobId = requestedJob();
    expect((await post("/v1/jobs", { jobId }, bearer(await consumerToken()))).status).toBe(202);
    await vi.waitFor(() => expect(net.received.filter((r) => r.url === `${RECEIVER}/jobs`)).toHaveLength(1), {
      timeout: 5_000,
    });
    const delivery = net.received.find((r) => r.url === `${RECEIVER}/jobs`)!;
    expect(delivery.method).toBe("POST");
    expect(delivery.headers.get("content-type")).toBe("application/json");
    const verified = await verifyWebhook(
      hook.secret,
      delivery.headers,
      new TextEncoder().encode(delivery.body),
      Math.floor(Date.now() / 1000),
    );
    expect(verified.ok).toBe(true);
    expect(delivery.headers.get("webhook-id")).toMatch(/^msg_[0-9a-f]{32}$/);
    const body = JSON.parse(delivery.body) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe("job.submitted");
    expect(body.data).toMatchObject({
      jobId,
      datasetId: DATASET_1,
      consumer: bob.address,
      status: "submitted",
    });
  });

  it("retries a failing receiver with exponential backoff, then counts the delivery", async () => {
    let answer = 500;
    net.receivers.set(`${RECEIVER}/flaky`, () => new Response(null, { status: answer }));
    const hook = await register(await consumerToken(freshAccount().address), {
      kind: "delivery",
      url: `${RECEIVER}/flaky`,
      events: ["*"],
    });
    const stub = endpointStub(env.WEBHOOK_ENDPOINTS, hook.id);
    await stub.enqueue("msg_retry", "job.dispatched", '{"type":"job.dispatched"}', Date.now());
    await runDurableObjectAlarm(stub);

    const [, first] = (await pendingDelivery(hook.id))!;
    expect(first).toMatchObject({ attempts: 1, lastStatus: 500 });
    expect(first.nextAttemptAtMs - Date.now()).toBeGreaterThan(4_000);
    expect(first.nextAttemptAtMs - Date.now()).toBeLessThanOrEqual(5_000);

    await elapseAndRunAlarm(hook.id);
    const [, second] = (await pendingDelivery(hook.id))!;
    expect(second).toMatchObject({ attempts: 2, lastStatus: 500 });
    expect(second.nextAttemptAtMs - Date.now()).toBeGreaterThan(19_000);

    answer = 200;
    await elapseAndRunAlarm(hook.id);
    expect(await pendingDelivery(hook.id)).toBeUndefined();
    expect((await stub.describe())!.stats).toEqual({ pending: 0, delivered: 1, failed: 0 });
    const ids = net.received
      .filter((r) => r.url === `${RECEIVER}/flaky`)
      .map((r) => r.headers.get("webhook-id"));
    expect(ids).toEqual(["msg_retry", "msg_retry", "msg_retry"]);
  });

  it("gives up after the last attempt, and at once on 410 Gone", async () => {
    net.receivers.set(`${RECEIVER}/down`, () => new Response(null, { status: 503 }));
    net.receivers.set(`${RECEIVER}/gone`, () => new Response(null, { status: 410 }));
    const owner = await consumerToken(freshAccount().address);
    const down = await register(owner, { kind: "delivery", url: `${RECEIVER}/down`, events: ["*"] });
    const gone = await register(owner, { kind: "delivery", url: `${RECEIVER}/gone`, events: ["*"] });

    const downStub = endpointStub(env.WEBHOOK_ENDPOINTS, down.id);
    await downStub.enqueue("msg_last", "job.failed", "{}", Date.now());
    await runInDurableObject(downStub, async (_o, state) => {
      for (const [key, d] of await state.storage.list<Delivery>({ prefix: "delivery:" })) {
        await state.storage.put(key, { ...d, attempts: MAX_ATTEMPTS - 1 });
      }
    });
    await runDurableObjectAlarm(downStub);
    expect((await downStub.describe())!.stats).toEqual({ pending: 0, delivered: 0, failed: 1 });

    const goneStub = endpointStub(env.WEBHOOK_ENDPOINTS, gone.id);
    await goneStub.enqueue("msg_gone", "job.failed", "{}", Date.now());
    await runDurableObjectAlarm(goneStub);
    expect((await goneStub.describe())!.stats).toEqual({ pending: 0, delivered: 0, failed: 1 });
  });

  it("the backoff schedule: 5 s, then four times longer each time, capped, 8 attempts", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n))).toEqual([
      5_000, 20_000, 80_000, 320_000, 1_280_000, 5_120_000, 20_480_000,
    ]);
    expect(retryDelayMs(MAX_ATTEMPTS)).toBeNull();
    expect(() => retryDelayMs(0)).toThrow(RangeError);
  });
});

describe("POST /v1/internal/events (from the Privacy Plane)", () => {
  const SECRET = newWebhookSecret();

  async function report(body: unknown, options: { id?: string; at?: number; secret?: string } = {}) {
    const raw = JSON.stringify(body);
    const headers = await signWebhook(
      options.secret ?? SECRET,
      options.id ?? `msg_${crypto.randomUUID()}`,
      options.at ?? Date.now() / 1000,
      raw,
    );
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}/v1/internal/events`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: raw,
      }),
      { ...env, ...WORKER_TEST_SECRETS, PRIVACY_PLANE_EVENTS_SECRET: SECRET },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  const event = (jobId: Hex, type = "job.dispatched") => ({
    type,
    jobId,
    datasetId: DATASET_1,
    consumer: bob.address,
    occurredAt: "2026-11-21T06:30:00.000Z",
    data: { datasetVersion: 2 },
  });

  it("queues the event for the consumer's and the provider's matching endpoints, under the sender's message id", async () => {
    const consumerHook = await register(await consumerToken(), {
      kind: "delivery",
      url: `${RECEIVER}/c`,
      events: ["job.*"],
    });
    const providerHook = await register(await providerToken(DATASET_1), {
      kind: "delivery",
      url: `${RECEIVER}/p`,
      events: ["*"],
    });
    await register(await consumerToken(), {
      kind: "delivery",
      url: `${RECEIVER}/reviews-only`,
      events: ["review.*"],
    });
    await register(await providerToken(DATASET_2), {
      kind: "delivery",
      url: `${RECEIVER}/other-dataset`,
      events: ["*"],
    });

    const response = await report(event(freshJobId()), { id: "msg_pp_1" });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: true, deliveries: 2 });
    await vi.waitFor(
      () =>
        expect(new Set(net.received.map((r) => r.url))).toEqual(new Set([`${RECEIVER}/c`, `${RECEIVER}/p`])),
      {
        timeout: 5_000,
      },
    );
    for (const [hook, url] of [
      [consumerHook, `${RECEIVER}/c`],
      [providerHook, `${RECEIVER}/p`],
    ] as const) {
      const got = net.received.find((r) => r.url === url)!;
      expect(got.headers.get("webhook-id")).toBe("msg_pp_1");
      expect(
        (
          await verifyWebhook(
            hook.secret,
            got.headers,
            new TextEncoder().encode(got.body),
            Math.floor(Date.now() / 1000),
          )
        ).ok,
      ).toBe(true);
      expect(JSON.parse(got.body)).toEqual({
        type: "job.dispatched",
        timestamp: "2026-11-21T06:30:00.000Z",
        data: { datasetVersion: 2, jobId: expect.any(String), datasetId: DATASET_1, consumer: bob.address },
      });
    }
  });

  it("error: the same message id again -> WEBHOOK_REPLAYED", async () => {
    expect((await report(event(freshJobId()), { id: "msg_pp_replay" })).status).toBe(202);
    await expectProblem(await report(event(freshJobId()), { id: "msg_pp_replay" }), 409, "WEBHOOK_REPLAYED");
  });

  it("error: a wrong secret, a stale or future timestamp -> WEBHOOK_SIGNATURE_INVALID", async () => {
    await expectProblem(
      await report(event(freshJobId()), { secret: newWebhookSecret() }),
      401,
      "WEBHOOK_SIGNATURE_INVALID",
    );
    await expectProblem(
      await report(event(freshJobId()), { at: Date.now() / 1000 - 301 }),
      401,
      "WEBHOOK_SIGNATURE_INVALID",
    );
    await expectProblem(
      await report(event(freshJobId()), { at: Date.now() / 1000 + 301 }),
      401,
      "WEBHOOK_SIGNATURE_INVALID",
    );
  });

  it("error: a signed but invalid event -> VALIDATION_FAILED", async () => {
    await expectProblem(
      await report({ ...event(freshJobId()), type: "job.exploded" }),
      422,
      "VALIDATION_FAILED",
    );
  });

  it("error: closed (UNAVAILABLE) when no events secret is configured", async () => {
    const raw = JSON.stringify(event(freshJobId()));
    const headers = await signWebhook(SECRET, "msg_x", Date.now() / 1000, raw);
    const response = await post("/v1/internal/events", raw, { ...headers });
    await expectProblem(response, 503, "UNAVAILABLE");
  });
});

describe("POST /v1/webhooks/trigger/{endpointId}", () => {
  async function trigger(
    endpointId: string,
    secret: string,
    body: unknown,
    options: { id?: string; at?: number; contentType?: string } = {},
  ) {
    const raw = typeof body === "string" ? body : JSON.stringify(body);
    const headers = await signWebhook(
      secret,
      options.id ?? `msg_${crypto.randomUUID().replace(/-/g, "")}`,
      options.at ?? Date.now() / 1000,
      raw,
    );
    return post(`/v1/webhooks/trigger/${endpointId}`, raw, {
      ...headers,
      "content-type": options.contentType ?? "application/json",
    });
  }

  it("submits the owner's job from a signed webhook, once", async () => {
    const hook = await register(await consumerToken(), { kind: "trigger" });
    const jobId = requestedJob();
    const first = await trigger(hook.id, hook.secret, { jobId }, { id: "msg_t1" });
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBe("false");
    expect(await first.json()).toMatchObject({ jobId, consumer: bob.address, status: "submitted" });
    expect(net.published).toHaveLength(1);

    await expectProblem(
      await trigger(hook.id, hook.secret, { jobId }, { id: "msg_t1" }),
      409,
      "WEBHOOK_REPLAYED",
    );
    const again = await trigger(hook.id, hook.secret, { jobId }, { id: "msg_t2" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(net.published).toHaveLength(1);
  });

  it("error: another endpoint's secret, a stale or future timestamp, an unknown endpoint -> WEBHOOK_SIGNATURE_INVALID", async () => {
    const hook = await register(await consumerToken(), { kind: "trigger" });
    const other = await register(await consumerToken(), { kind: "trigger" });
    const jobId = requestedJob();
    await expectProblem(await trigger(hook.id, other.secret, { jobId }), 401, "WEBHOOK_SIGNATURE_INVALID");
    await expectProblem(
      await trigger(hook.id, hook.secret, { jobId }, { at: Date.now() / 1000 - 400 }),
      401,
      "WEBHOOK_SIGNATURE_INVALID",
    );
    await expectProblem(
      await trigger(hook.id, hook.secret, { jobId }, { at: Date.now() / 1000 + 400 }),
      401,
      "WEBHOOK_SIGNATURE_INVALID",
    );
    await expectProblem(
      await trigger(`wh_${"ab".repeat(16)}`, hook.secret, { jobId }),
      401,
      "WEBHOOK_SIGNATURE_INVALID",
    );
    const unsigned = await post(`/v1/webhooks/trigger/${hook.id}`, { jobId });
    await expectProblem(unsigned, 401, "WEBHOOK_SIGNATURE_INVALID");
    expect(net.published).toEqual([]);
  });

  it("error: a delivery endpoint is not a trigger", async () => {
    const hook = await register(await consumerToken(), {
      kind: "delivery",
      url: `${RECEIVER}/x`,
      events: ["*"],
    });
    await expectProblem(
      await trigger(hook.id, hook.secret, { jobId: requestedJob() }),
      401,
      "WEBHOOK_SIGNATURE_INVALID",
    );
  });

  it("checks the job like POST /v1/jobs, and lets the sender retry the same message id after a failure", async () => {
    const hook = await register(await consumerToken(), { kind: "trigger" });
    const theirs = requestedJob(alice.address);
    await expectProblem(await trigger(hook.id, hook.secret, { jobId: theirs }), 403, "AUTH_FORBIDDEN");

    const jobId = requestedJob();
    net.chain.datasets[0]!.rentals = [{ consumer: bob.address, expiresAt: past }];
    await expectProblem(
      await trigger(hook.id, hook.secret, { jobId }, { id: "msg_retry_me" }),
      403,
      "RENTAL_INACTIVE",
    );
    net.chain.datasets[0]!.rentals = [{ consumer: bob.address, expiresAt: future }];
    expect((await trigger(hook.id, hook.secret, { jobId }, { id: "msg_retry_me" })).status).toBe(202);
  });

  it("error: signed but malformed JSON, an invalid body, a non-JSON content type", async () => {
    const hook = await register(await consumerToken(), { kind: "trigger" });
    await expectProblem(await trigger(hook.id, hook.secret, '{"jobId":'), 400, "BAD_REQUEST");
    const problem = await expectProblem(
      await trigger(hook.id, hook.secret, { jobId: "0x12" }),
      422,
      "VALIDATION_FAILED",
    );
    expect(problem.errors?.map((e) => e.path)).toContain("/jobId");
    await expectProblem(
      await trigger(hook.id, hook.secret, "jobId=1", { contentType: "text/plain" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    await expectProblem(
      await trigger(hook.id, hook.secret, { jobId: requestedJob(), pad: "x".repeat(70_000) }),
      413,
      "PAYLOAD_TOO_LARGE",
    );
  });
});
