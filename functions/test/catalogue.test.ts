/**
 * Catalogue routes inside workerd, against the in-Worker fake JSON-RPC (routing, filtering, paging,
 * validation and error mapping). The same paths against a real chain: test/integration (anvil).
 */
import type { AuditTrailResponse, DatasetDetail, ListDatasetsResponse } from "@cce4long/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeChain } from "./fake-chain";
import { alice, bob, DATASET_1, DATASET_2, expectProblem, get } from "./helpers";

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as const;
const chain = new FakeChain();

beforeEach(() => {
  chain.down = false;
  chain.calls = [];
  chain.datasets = [
    {
      id: DATASET_1,
      provider: alice.address,
      reviewers: [bob.address],
      rentals: [{ consumer: bob.address, expiresAt: 2_000_000_000n }],
    },
    { id: DATASET_2, provider: bob.address, exploreOffered: false },
    { id: id(3), provider: alice.address, retired: true },
  ];
  chain.install();
});
afterEach(() => vi.restoreAllMocks());

async function list(query = ""): Promise<ListDatasetsResponse> {
  const response = await get(`/v1/datasets${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as ListDatasetsResponse;
}

describe("GET /v1/datasets", () => {
  it("lists the datasets that are not retired, in registration order, with their terms", async () => {
    const page = await list();
    expect(page.datasets.map((d) => d.datasetId)).toEqual([DATASET_1, DATASET_2]);
    expect(page.nextCursor).toBeNull();
    expect(page.datasets[0]).toMatchObject({
      provider: alice.address,
      retired: false,
      versionCount: 1,
      registeredAt: "2027-01-15T08:00:00.000Z",
      terms: { pricePerPeriodWei: "1000000000000000000", periodSeconds: 86_400, exploreOffered: true },
    });
  });

  it("filters by provider, retirement and Explore Mode", async () => {
    expect((await list(`?provider=${alice.address.toLowerCase()}`)).datasets.map((d) => d.datasetId)).toEqual(
      [DATASET_1],
    );
    expect((await list("?includeRetired=true")).datasets).toHaveLength(3);
    expect((await list("?exploreOffered=false")).datasets.map((d) => d.datasetId)).toEqual([DATASET_2]);
  });

  it("pages with limit and cursor", async () => {
    const first = await list("?limit=1&includeRetired=true");
    expect(first.datasets.map((d) => d.datasetId)).toEqual([DATASET_1]);
    expect(first.nextCursor).toBe("1");
    const second = await list(`?limit=2&includeRetired=true&cursor=${first.nextCursor}`);
    expect(second.datasets.map((d) => d.datasetId)).toEqual([DATASET_2, id(3)]);
    expect(second.nextCursor).toBeNull();
  });

  it("batches the reads of a page into few HTTP requests", async () => {
    const fetchSpy = vi.mocked(globalThis.fetch);
    fetchSpy.mockClear();
    await list("?includeRetired=true");
    // count, then the ids, then the records: three round trips however many datasets.
    expect(fetchSpy.mock.calls.length).toBeLessThanOrEqual(3);
  });

  const invalid: [string, string][] = [
    ["?limit=0", "/limit"],
    ["?limit=101", "/limit"],
    ["?limit=ten", "/limit"],
    ["?cursor=-1", "/cursor"],
    ["?provider=0x1234", "/provider"],
    ["?includeRetired=yes", "/includeRetired"],
  ];
  for (const [query, path] of invalid) {
    it(`error: ${query} -> VALIDATION_FAILED at ${path}`, async () => {
      const problem = await expectProblem(await get(`/v1/datasets${query}`), 422, "VALIDATION_FAILED");
      expect(problem.errors?.map((e) => e.path)).toContain(path);
    });
  }

  it("error: the chain unreachable -> CHAIN_UNREACHABLE", async () => {
    chain.down = true;
    await expectProblem(await get("/v1/datasets"), 503, "CHAIN_UNREACHABLE");
  });
});

describe("GET /v1/datasets/{datasetId}", () => {
  it("reads one dataset with its reviewers, whatever the id's letter case", async () => {
    const response = await get(`/v1/datasets/${DATASET_1.toUpperCase().replace("0X", "0x")}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as DatasetDetail;
    expect(body).toMatchObject({ datasetId: DATASET_1, provider: alice.address, reviewers: [bob.address] });
  });

  it("error: an unknown dataset -> NOT_FOUND", async () => {
    await expectProblem(await get(`/v1/datasets/${id(99)}`), 404, "NOT_FOUND");
  });

  it("error: an id that is not 32 bytes of hex -> VALIDATION_FAILED", async () => {
    const problem = await expectProblem(await get("/v1/datasets/0x1234"), 422, "VALIDATION_FAILED");
    expect(problem.errors?.map((e) => e.path)).toEqual(["/datasetId"]);
  });
});

describe("GET /v1/datasets/{datasetId}/audit", () => {
  it("returns the dataset's decoded events with integers as decimal strings", async () => {
    const response = await get(`/v1/datasets/${DATASET_1}/audit`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as AuditTrailResponse;
    expect(body.datasetId).toBe(DATASET_1);
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({
      eventName: "RentalStarted",
      blockNumber: "10",
      args: {
        datasetId: DATASET_1,
        consumer: bob.address,
        expiresAt: "2000000000",
        paid: "1000000000000000000",
      },
    });
  });

  it("error: an unknown dataset -> NOT_FOUND", async () => {
    await expectProblem(await get(`/v1/datasets/${id(99)}/audit`), 404, "NOT_FOUND");
  });
});
