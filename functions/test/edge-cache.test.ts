/**
 * The edge cache of public catalogue reads (CATALOGUE_CACHE_SECONDS), inside workerd with the Cache
 * API: off at 0; when on, a repeated read is served from the isolate's memory, or from the colo's
 * Cache API in a cold isolate, without touching the chain and with fresh per-request headers;
 * `Cache-Control: no-cache` goes to the chain and refreshes both tiers.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { DatasetDetail } from "@cce4long/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { isolateCatalogueCache } from "../src/middleware/edge-cache";
import { FakeChain } from "./fake-chain";
import { alice, bob, DATASET_1, DATASET_2 } from "./helpers";
import { WORKER_TEST_SECRETS } from "./test-secrets";

const chain = new FakeChain();

async function read(path: string, overrides: Record<string, unknown>, headers: HeadersInit = {}) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://localhost:8787${path}`, { headers }),
    { ...env, ...WORKER_TEST_SECRETS, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

beforeEach(() => {
  chain.calls = [];
  chain.datasets = [
    { id: DATASET_1, provider: alice.address, reviewers: [bob.address] },
    { id: DATASET_2, provider: bob.address },
  ];
  chain.install();
  isolateCatalogueCache().clear();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const ON = { CATALOGUE_CACHE_SECONDS: "30" };

describe("catalogue edge cache", () => {
  it("is off at 0: every read goes to the chain", async () => {
    const off = { CATALOGUE_CACHE_SECONDS: "0" };
    const first = await read(`/v1/datasets/${DATASET_2}`, off);
    expect(first.headers.get("x-cache")).toBeNull();
    const calls = chain.calls.length;
    await read(`/v1/datasets/${DATASET_2}`, off);
    expect(chain.calls.length).toBeGreaterThan(calls);
  });

  it("when on, answers a repeated read from the cache with its own request id", async () => {
    const on = { CATALOGUE_CACHE_SECONDS: "30" };
    const first = await read(`/v1/datasets/${DATASET_1}`, on);
    expect(first.headers.get("x-cache")).toBe("miss");
    const body = (await first.json()) as DatasetDetail;
    chain.datasets[0]!.reviewers = [];
    const calls = chain.calls.length;
    const second = await read(`/v1/datasets/${DATASET_1}`, on);
    expect(second.headers.get("x-cache")).toBe("hit");
    expect(second.headers.get("x-cache-tier")).toBe("isolate");
    expect(second.headers.get("content-type")).toContain("application/json");
    expect(await second.json()).toEqual(body);
    expect(chain.calls.length).toBe(calls);
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    expect(second.headers.get("ratelimit-limit")).not.toBeNull();
  });

  it("never caches a failure", async () => {
    const on = { CATALOGUE_CACHE_SECONDS: "30" };
    const unknown = `0x${"77".repeat(32)}`;
    expect((await read(`/v1/datasets/${unknown}`, on)).status).toBe(404);
    const again = await read(`/v1/datasets/${unknown}`, on);
    expect(again.status).toBe(404);
    expect(again.headers.get("x-cache")).toBeNull();
  });

  it("answers a cold isolate from the colo's Cache API, still without the chain", async () => {
    const path = `/v1/datasets/${DATASET_2}?colo`;
    const first = await read(path, ON);
    expect(first.headers.get("x-cache")).toBe("miss");
    const body = await first.json();
    isolateCatalogueCache().clear();
    const calls = chain.calls.length;
    const second = await read(path, ON);
    expect(second.headers.get("x-cache")).toBe("hit");
    expect(second.headers.get("x-cache-tier")).toBe("colo");
    expect(await second.json()).toEqual(body);
    expect(second.headers.get("x-cce4long-stored-at")).toBeNull();
    expect(chain.calls.length).toBe(calls);
    // The colo answer now sits in the isolate too.
    expect((await read(path, ON)).headers.get("x-cache-tier")).toBe("isolate");
  });

  it("goes to the chain for Cache-Control: no-cache and refreshes what later readers get", async () => {
    const path = `/v1/datasets/${DATASET_1}?revalidate`;
    await read(path, ON);
    chain.datasets[0]!.reviewers = [];
    const calls = chain.calls.length;
    const fresh = await read(path, ON, { "cache-control": "no-cache" });
    expect(fresh.headers.get("x-cache")).toBe("miss");
    expect(chain.calls.length).toBeGreaterThan(calls);
    expect(((await fresh.json()) as DatasetDetail).reviewers).toEqual([]);
    const later = await read(path, ON);
    expect(later.headers.get("x-cache")).toBe("hit");
    expect(((await later.json()) as DatasetDetail).reviewers).toEqual([]);
  });

  it("stores nothing for Cache-Control: no-store", async () => {
    const path = `/v1/datasets/${DATASET_2}?no-store`;
    const first = await read(path, ON, { "cache-control": "no-store" });
    expect(first.status).toBe(200);
    const calls = chain.calls.length;
    const second = await read(path, ON);
    expect(second.headers.get("x-cache")).toBe("miss");
    expect(chain.calls.length).toBeGreaterThan(calls);
  });

  it("lets an entry expire after CATALOGUE_CACHE_SECONDS", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const path = `/v1/datasets/${DATASET_2}?expiry`;
    const short = { CATALOGUE_CACHE_SECONDS: "2" };
    await read(path, short);
    expect((await read(path, short)).headers.get("x-cache")).toBe("hit");
    vi.setSystemTime(Date.now() + 2_500);
    // The isolate entry has lapsed. The Cache API keeps its own clock, so it may still answer, but
    // a colo copy older than the lifetime must not be taken into the isolate again.
    const after = await read(path, short);
    expect(after.headers.get("x-cache-tier")).not.toBe("isolate");
    const again = await read(path, short);
    expect(again.headers.get("x-cache-tier")).not.toBe("isolate");
  });

  it("caches per URL: the list and each dataset are separate entries", async () => {
    await read("/v1/datasets?limit=5", ON);
    const calls = chain.calls.length;
    const other = await read(`/v1/datasets/${DATASET_2}?separate`, ON);
    expect(other.headers.get("x-cache")).toBe("miss");
    expect(chain.calls.length).toBeGreaterThan(calls);
  });

  it("serves the stale copy while another request refreshes it, without the chain", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const path = `/v1/datasets/${DATASET_2}?stale`;
    const short = { CATALOGUE_CACHE_SECONDS: "2" };
    const body = await (await read(path, short)).json();
    vi.setSystemTime(Date.now() + 2_500);
    expect(isolateCatalogueCache().claimRefresh(`http://localhost:8787${path}`)).toBe(true);
    const calls = chain.calls.length;
    const during = await read(path, short);
    expect(during.status).toBe(200);
    expect(during.headers.get("x-cache")).toBe("stale");
    expect(await during.json()).toEqual(body);
    expect(chain.calls.length).toBe(calls);
  });

  it("answers the refreshing request with the stale copy when the chain is down, and not after the stale period", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const path = `/v1/datasets/${DATASET_1}?outage`;
    const short = { CATALOGUE_CACHE_SECONDS: "2" };
    const body = await (await read(path, short)).json();
    // The colo copy must not answer: this test is about the isolate's stale copy.
    await (caches as unknown as { default: Cache }).default.delete(`http://localhost:8787${path}`);
    vi.setSystemTime(Date.now() + 2_500);
    chain.down = true;
    const outage = await read(path, short);
    expect(outage.status).toBe(200);
    expect(outage.headers.get("x-cache")).toBe("stale");
    expect(outage.headers.get("x-request-id")).not.toBeNull();
    expect(await outage.json()).toEqual(body);
    vi.setSystemTime(Date.now() + 2_000);
    const gone = await read(path, short);
    expect(gone.status).toBeGreaterThanOrEqual(500);
    expect(gone.headers.get("x-cache")).toBeNull();
  });
});
