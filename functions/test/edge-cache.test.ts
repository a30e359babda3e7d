/**
 * The optional edge cache of public catalogue reads (CATALOGUE_CACHE_SECONDS), inside workerd with the
 * Cache API: off by default; when on, a repeated read is served without touching the chain, with
 * fresh per-request headers.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { DatasetDetail } from "@cce4long/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { FakeChain } from "./fake-chain";
import { alice, bob, DATASET_1, DATASET_2 } from "./helpers";
import { WORKER_TEST_SECRETS } from "./test-secrets";

const chain = new FakeChain();

async function read(path: string, overrides: Record<string, unknown>) {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://localhost:8787${path}`),
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
});
afterEach(() => vi.restoreAllMocks());

describe("catalogue edge cache", () => {
  it("is off by default: every read goes to the chain", async () => {
    const first = await read(`/v1/datasets/${DATASET_2}`, {});
    expect(first.headers.get("x-cache")).toBeNull();
    const calls = chain.calls.length;
    await read(`/v1/datasets/${DATASET_2}`, {});
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
});
