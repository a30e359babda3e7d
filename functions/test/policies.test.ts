/**
 * Dataset policy routes inside workerd against the fake chain and object store: the provider stores a
 * signed gate or sample policy, anyone reads it; every auth, signature, validation, size and version
 * failure leaves the store untouched. Against the real stack and Privacy Plane: test/integration.
 */

import { SELF } from "cloudflare:test";
import {
  DATASET_POLICY_TYPES,
  datasetPolicyDomain,
  datasetPolicyMessage,
  MAX_POLICY_BODY_BYTES,
  type PolicyDocument,
  type PolicyKind,
  policyObjectKey,
} from "@cce4long/protocol";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { Hex } from "viem";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HUB } from "./fake-chain";
import { FakeNetwork } from "./fake-network";
import {
  alice,
  BASE,
  bearer,
  bob,
  CHAIN_ID,
  DATASET_1,
  DATASET_2,
  expectProblem,
  get,
  mintTestToken,
} from "./helpers";

const net = new FakeNetwork();
const now = () => Math.floor(Date.now() / 1000);
const path = (kind: string = "gate", datasetId: string = DATASET_1) =>
  `/v1/datasets/${datasetId}/policies/${kind}`;
const storedKey = (kind: PolicyKind = "gate", datasetId: string = DATASET_1) =>
  `${BUCKETS.algorithms}/${policyObjectKey(datasetId, kind)}`;

function put(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${url}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const providerToken = async (datasetId: string = DATASET_1, signer = alice) =>
  bearer(
    await mintTestToken({ sub: signer.address, role: { kind: "provider", datasetId: datasetId as Hex } }),
  );

async function signedRequest(
  policy: Record<string, unknown>,
  options: {
    version?: number;
    kind?: PolicyKind;
    signer?: typeof alice;
    datasetId?: string;
    issuedAt?: number;
  } = {},
) {
  const body = {
    datasetId: options.datasetId ?? DATASET_1,
    kind: options.kind ?? "gate",
    policy,
    version: options.version ?? 1,
    issuedAt: options.issuedAt ?? now(),
  };
  const signature = await (options.signer ?? alice).signTypedData({
    domain: datasetPolicyDomain(CHAIN_ID, HUB),
    types: DATASET_POLICY_TYPES,
    primaryType: "DatasetPolicy",
    message: datasetPolicyMessage(body),
  });
  return { policy, version: body.version, issuedAt: body.issuedAt, signature };
}

beforeEach(() => {
  net.reset();
  net.chain.datasets = [
    { id: DATASET_1, provider: alice.address },
    { id: DATASET_2, provider: bob.address },
  ];
  net.install();
});
afterEach(() => vi.restoreAllMocks());

describe("PUT /v1/datasets/{datasetId}/policies/{kind}", () => {
  it("stores the provider's signed gate policy; anyone reads it back", async () => {
    const request = await signedRequest({ minCellCount: 1000 });
    const response = await put(path(), request, await providerToken());
    expect(response.status).toBe(200);
    const document = (await response.json()) as PolicyDocument;
    expect(document).toMatchObject({ datasetId: DATASET_1, kind: "gate", version: 1, signer: alice.address });
    expect(JSON.parse(net.objects.get(storedKey())!)).toEqual(document);
    const read = await get(path());
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(document);
  });

  it("stores an Explore sample policy under its own key", async () => {
    const request = await signedRequest({ k: 20 }, { kind: "explore-sample" });
    expect((await put(path("explore-sample"), request, await providerToken())).status).toBe(200);
    expect(net.objects.has(storedKey("explore-sample"))).toBe(true);
    expect(net.objects.has(storedKey("gate"))).toBe(false);
  });

  it("a higher version replaces the stored one", async () => {
    const token = await providerToken();
    expect((await put(path(), await signedRequest({ minCellCount: 50 }), token)).status).toBe(200);
    const second = await put(path(), await signedRequest({ minCellCount: 60 }, { version: 2 }), token);
    expect(second.status).toBe(200);
    expect(JSON.parse(net.objects.get(storedKey())!).policy).toEqual({ minCellCount: 60 });
  });

  it("error: a version not above the stored one is a conflict and changes nothing", async () => {
    const token = await providerToken();
    await put(path(), await signedRequest({ minCellCount: 50 }, { version: 3 }), token);
    for (const version of [3, 2]) {
      await expectProblem(
        await put(path(), await signedRequest({ minCellCount: 5 }, { version }), token),
        409,
        "CONFLICT",
      );
    }
    expect(JSON.parse(net.objects.get(storedKey())!).policy).toEqual({ minCellCount: 50 });
  });

  it("error: no token, a consumer token, or a provider token of another dataset", async () => {
    const request = await signedRequest({ minCellCount: 1000 });
    await expectProblem(await put(path(), request), 401, "AUTH_REQUIRED");
    await expectProblem(await put(path(), request, bearer(await mintTestToken())), 403, "AUTH_FORBIDDEN");
    await expectProblem(await put(path(), request, await providerToken(DATASET_2)), 403, "AUTH_FORBIDDEN");
    await expectProblem(await put(path(), request, bearer("not-a-token")), 401, "AUTH_INVALID");
    expect(net.storeSeen).toEqual([]);
  });

  it("error: a signature by someone other than the signed-in provider", async () => {
    const request = await signedRequest({ minCellCount: 1000 }, { signer: bob });
    await expectProblem(await put(path(), request, await providerToken()), 403, "AUTH_FORBIDDEN");
    expect(net.storeSeen).toEqual([]);
  });

  it("error: a signature over another policy, version, kind or dataset", async () => {
    const token = await providerToken();
    const signed = await signedRequest({ minCellCount: 1000 });
    const tampered = [
      { ...signed, policy: { minCellCount: 1 } },
      { ...signed, version: 2 },
      { ...signed, issuedAt: signed.issuedAt - 1 },
      await signedRequest({ minCellCount: 1000 }, { kind: "explore-sample" }),
      await signedRequest({ minCellCount: 1000 }, { datasetId: DATASET_2 }),
    ];
    for (const body of tampered) await expectProblem(await put(path(), body, token), 403, "AUTH_FORBIDDEN");
    expect(net.storeSeen).toEqual([]);
  });

  it("error: a token holder the chain no longer names as provider", async () => {
    net.chain.datasets = [{ id: DATASET_1, provider: bob.address }];
    const request = await signedRequest({ minCellCount: 1000 });
    await expectProblem(await put(path(), request, await providerToken()), 403, "AUTH_FORBIDDEN");
    expect(net.storeSeen).toEqual([]);
  });

  it("error: a policy that fails its kind's schema names the field", async () => {
    const token = await providerToken();
    const problem = await expectProblem(
      await put(path(), await signedRequest({ minCellCount: 0 }), token),
      422,
      "VALIDATION_FAILED",
    );
    expect(JSON.stringify(problem)).toContain("minCellCount");
    await expectProblem(
      await put(path(), await signedRequest({ noSuchRule: 1 }), token),
      422,
      "VALIDATION_FAILED",
    );
    // A gate policy is not a sample policy.
    await expectProblem(
      await put(
        path("explore-sample"),
        await signedRequest({ minCellCount: 20 }, { kind: "explore-sample" }),
        token,
      ),
      422,
      "VALIDATION_FAILED",
    );
    expect(net.storeSeen).toEqual([]);
  });

  it("error: malformed requests: bad kind, bad dataset id, missing fields, bad JSON, wrong media type", async () => {
    const token = await providerToken();
    const request = await signedRequest({ minCellCount: 1000 });
    await expectProblem(await put(path("disclosure"), request, token), 422, "VALIDATION_FAILED");
    await expectProblem(await put(path("gate", "0x1234"), request, token), 403, "AUTH_FORBIDDEN");
    const { signature: _s, ...unsigned } = request;
    await expectProblem(await put(path(), unsigned, token), 422, "VALIDATION_FAILED");
    await expectProblem(await put(path(), { ...request, version: 0 }, token), 422, "VALIDATION_FAILED");
    await expectProblem(await put(path(), { ...request, policy: [1] }, token), 422, "VALIDATION_FAILED");
    await expectProblem(await put(path(), "{not json", token), 400, "BAD_REQUEST");
    await expectProblem(
      await put(path(), JSON.stringify(request), { ...token, "content-type": "text/plain" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    expect(net.storeSeen).toEqual([]);
  });

  it("error: issuedAt in the future", async () => {
    const request = await signedRequest({ minCellCount: 1000 }, { issuedAt: now() + 3600 });
    await expectProblem(await put(path(), request, await providerToken()), 422, "VALIDATION_FAILED");
  });

  it("error: a body over the policy size limit is refused before it is parsed", async () => {
    const request = await signedRequest({ minCellCount: 1000 });
    const padded = { ...request, policy: { ...request.policy, padding: "x".repeat(MAX_POLICY_BODY_BYTES) } };
    await expectProblem(await put(path(), padded, await providerToken()), 413, "PAYLOAD_TOO_LARGE");
    expect(net.storeSeen).toEqual([]);
  });
});

describe("GET /v1/datasets/{datasetId}/policies/{kind}", () => {
  it("error: none set is NOT_FOUND and says the defaults apply", async () => {
    const problem = await expectProblem(await get(path()), 404, "NOT_FOUND");
    expect(problem.detail).toContain("defaults");
  });

  it("error: something stored that is not a policy document is not served", async () => {
    net.objects.set(storedKey(), '{"policy":1}');
    await expectProblem(await get(path()), 404, "NOT_FOUND");
  });

  it("error: a bad kind or dataset id", async () => {
    await expectProblem(await get(path("nope")), 422, "VALIDATION_FAILED");
    await expectProblem(await get(path("gate", "0xzz")), 422, "VALIDATION_FAILED");
  });
});
