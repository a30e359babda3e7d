/**
 * Rental read-through routes inside workerd, against the in-Worker fake JSON-RPC. The same paths
 * against a real chain: test/integration (anvil).
 */
import type { ListRentalsResponse, Rental } from "@cce4long/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeChain } from "./fake-chain";
import { alice, bearer, bob, DATASET_1, DATASET_2, expectProblem, get, mintTestToken } from "./helpers";

const chain = new FakeChain();
const past = BigInt(Math.floor(Date.now() / 1000) - 3600);
const future = BigInt(Math.floor(Date.now() / 1000) + 3600);

beforeEach(() => {
  chain.down = false;
  chain.datasets = [
    { id: DATASET_1, provider: alice.address, rentals: [{ consumer: bob.address, expiresAt: future }] },
    { id: DATASET_2, provider: alice.address, rentals: [{ consumer: bob.address, expiresAt: past }] },
  ];
  chain.install();
});
afterEach(() => vi.restoreAllMocks());

const consumerToken = (address = bob.address) => mintTestToken({ sub: address });

describe("GET /v1/rentals", () => {
  it("lists the signed-in consumer's rentals with their state", async () => {
    const response = await get("/v1/rentals", bearer(await consumerToken()));
    expect(response.status).toBe(200);
    const { rentals } = (await response.json()) as ListRentalsResponse;
    expect(rentals).toEqual([
      {
        datasetId: DATASET_1,
        consumer: bob.address,
        active: true,
        expiresAt: new Date(Number(future) * 1000).toISOString(),
      },
      {
        datasetId: DATASET_2,
        consumer: bob.address,
        active: false,
        expiresAt: new Date(Number(past) * 1000).toISOString(),
      },
    ]);
  });

  it("shows nothing of other consumers' rentals", async () => {
    const response = await get("/v1/rentals", bearer(await consumerToken(alice.address)));
    expect(((await response.json()) as ListRentalsResponse).rentals).toEqual([]);
  });

  it("error: no token -> AUTH_REQUIRED; a provider token -> AUTH_FORBIDDEN; expired -> AUTH_INVALID", async () => {
    await expectProblem(await get("/v1/rentals"), 401, "AUTH_REQUIRED");
    const provider = await mintTestToken({ role: { kind: "provider", datasetId: DATASET_1 } });
    await expectProblem(await get("/v1/rentals", bearer(provider)), 403, "AUTH_FORBIDDEN");
    const now = Math.floor(Date.now() / 1000);
    const expired = await mintTestToken({ sub: bob.address, iat: now - 1000, exp: now - 10 });
    await expectProblem(await get("/v1/rentals", bearer(expired)), 401, "AUTH_INVALID");
  });

  it("error: the chain unreachable -> CHAIN_UNREACHABLE", async () => {
    chain.down = true;
    await expectProblem(await get("/v1/rentals", bearer(await consumerToken())), 503, "CHAIN_UNREACHABLE");
  });
});

describe("GET /v1/rentals/{datasetId}", () => {
  it("reports an active rental", async () => {
    const response = await get(`/v1/rentals/${DATASET_1}`, bearer(await consumerToken()));
    expect(response.status).toBe(200);
    expect(((await response.json()) as Rental).active).toBe(true);
  });

  it("reports an expired rental as inactive, and a never-made one with no expiry", async () => {
    const expired = await get(`/v1/rentals/${DATASET_2}`, bearer(await consumerToken()));
    expect((await expired.json()) as Rental).toMatchObject({ active: false });
    const never = await get(`/v1/rentals/${DATASET_1}`, bearer(await consumerToken(alice.address)));
    expect((await never.json()) as Rental).toMatchObject({ active: false, expiresAt: null });
  });

  it("error: an unknown dataset -> NOT_FOUND; a malformed id -> VALIDATION_FAILED", async () => {
    const token = await consumerToken();
    await expectProblem(await get(`/v1/rentals/0x${"99".repeat(32)}`, bearer(token)), 404, "NOT_FOUND");
    await expectProblem(await get("/v1/rentals/42", bearer(token)), 422, "VALIDATION_FAILED");
  });

  it("error: a token for another audience -> AUTH_INVALID (checked before the path)", async () => {
    const token = await mintTestToken({ sub: bob.address, aud: "cce4long-privacy-plane" });
    await expectProblem(await get(`/v1/rentals/${DATASET_1}`, bearer(token)), 401, "AUTH_INVALID");
  });
});
