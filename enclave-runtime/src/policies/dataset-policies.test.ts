/**
 * The Privacy Plane's policy reader (runs in Node): only a document the dataset's current provider
 * signed is applied; everything else falls back to the defaults (or to the newest document seen).
 */
import {
  DATASET_POLICY_TYPES,
  datasetPolicyDomain,
  datasetPolicyMessage,
  type PolicyDocument,
  type PolicyKind,
} from "@cce4long/protocol/api/policies";
import { DEFAULT_GATE_POLICY } from "@cce4long/protocol/gate/policy";
import type { Address, Hex, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { createDatasetPolicies } from "./dataset-policies";

const provider = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const stranger = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a7412f4cdb7df4a6a8a");
const CHAIN_ID = 31337;
const HUB: Hex = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const DATASET = `0x${"ab".repeat(32)}`;

async function signed(
  policy: Record<string, unknown>,
  options: { version?: number; kind?: PolicyKind; signer?: LocalAccount; datasetId?: string } = {},
): Promise<PolicyDocument> {
  const signer = options.signer ?? provider;
  const body = {
    datasetId: options.datasetId ?? DATASET,
    kind: options.kind ?? "gate",
    policy,
    version: options.version ?? 1,
    issuedAt: 1_800_000_000,
  };
  const signature = await signer.signTypedData({
    domain: datasetPolicyDomain(CHAIN_ID, HUB),
    types: DATASET_POLICY_TYPES,
    primaryType: "DatasetPolicy",
    message: datasetPolicyMessage(body),
  });
  return { ...body, datasetId: body.datasetId as Hex, signer: signer.address, signature };
}

function setup() {
  const state: { stored: unknown; provider: Address | null; logged: Record<string, unknown>[] } = {
    stored: null,
    provider: provider.address,
    logged: [],
  };
  const policies = createDatasetPolicies({
    chainId: CHAIN_ID,
    hub: HUB,
    fetchDocument: async () => structuredClone(state.stored),
    providerOf: async () => state.provider,
    log: (event, fields) => state.logged.push({ event, ...fields }),
  });
  return { state, policies };
}

describe("dataset policies in the Privacy Plane", () => {
  it("applies a document signed by the dataset's current provider, defaults filled in", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: 1000 });
    const resolved = await policies.resolve(DATASET, "gate");
    expect(resolved).toMatchObject({ source: "provider", version: 1 });
    expect(resolved.policy.minCellCount).toBe(1000);
    expect(resolved.policy.pRatio).toBe(DEFAULT_GATE_POLICY.pRatio);
  });

  it("reads the Explore sample policy the same way", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ k: 20 }, { kind: "explore-sample" });
    expect((await policies.samplePolicy(DATASET)).k).toBe(20);
  });

  it("no document: the defaults, without a complaint", async () => {
    const { state, policies } = setup();
    expect(await policies.gatePolicy(DATASET)).toEqual(DEFAULT_GATE_POLICY);
    expect(state.logged).toEqual([]);
  });

  it("error: a document signed by someone else gives the defaults and is logged", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: 1 }, { signer: stranger });
    const resolved = await policies.resolve(DATASET, "gate");
    expect(resolved).toMatchObject({ source: "default", reason: expect.stringContaining("provider") });
    expect(resolved.policy).toEqual(DEFAULT_GATE_POLICY);
    expect(state.logged.map((l) => l.event)).toEqual(["policy.rejected"]);
  });

  it("error: a signer who is no longer the dataset's provider is not followed", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: 1000 });
    expect((await policies.gatePolicy(DATASET)).minCellCount).toBe(1000);
    state.provider = stranger.address;
    expect(await policies.resolve(DATASET, "gate")).toMatchObject({ source: "default", version: null });
  });

  it("error: a policy changed after signing (tampered) gives the defaults", async () => {
    const { state, policies } = setup();
    const document = await signed({ minCellCount: 1000 });
    state.stored = { ...document, policy: { minCellCount: 1 } };
    expect(await policies.gatePolicy(DATASET)).toEqual(DEFAULT_GATE_POLICY);
  });

  it("error: a raised version on the old signature (tampered version) gives the defaults", async () => {
    const { state, policies } = setup();
    state.stored = { ...(await signed({ minCellCount: 1000 })), version: 7 };
    expect((await policies.resolve(DATASET, "gate")).source).toBe("default");
  });

  it("error: a document of another dataset or kind is refused", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: 1000 }, { datasetId: `0x${"cd".repeat(32)}` });
    expect((await policies.resolve(DATASET, "gate")).source).toBe("default");
    state.stored = await signed({ k: 20 }, { kind: "explore-sample" });
    expect((await policies.resolve(DATASET, "gate")).reason).toContain("another dataset or kind");
  });

  it("error: a signed policy that fails its schema gives the defaults", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: -5 });
    expect(await policies.resolve(DATASET, "gate")).toMatchObject({
      source: "default",
      reason: "the policy fails its schema",
    });
    state.stored = await signed({ unknownRule: true });
    expect((await policies.resolve(DATASET, "gate")).source).toBe("default");
  });

  it("error: malformed documents give the defaults", async () => {
    const { state, policies } = setup();
    for (const bad of [{ unparsable: true }, "text", 42, { ...(await signed({})), signature: "0x12" }]) {
      state.stored = bad;
      expect(await policies.resolve(DATASET, "gate")).toMatchObject({ source: "default", version: null });
    }
  });

  it("error: a lower version than one seen is a rollback: the newest seen stays in force", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: 500 }, { version: 2 });
    expect((await policies.gatePolicy(DATASET)).minCellCount).toBe(500);
    state.stored = await signed({ minCellCount: 3 }, { version: 1 });
    const resolved = await policies.resolve(DATASET, "gate");
    expect(resolved).toMatchObject({
      source: "provider",
      version: 2,
      reason: expect.stringContaining("version 1"),
    });
    expect(resolved.policy.minCellCount).toBe(500);
    state.stored = null; // hiding the document does not bring the defaults back either
    expect((await policies.gatePolicy(DATASET)).minCellCount).toBe(500);
  });

  it("error: a different document under the same version does not replace the one seen", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: 500 }, { version: 2 });
    await policies.gatePolicy(DATASET);
    state.stored = await signed({ minCellCount: 3 }, { version: 2 });
    expect((await policies.gatePolicy(DATASET)).minCellCount).toBe(500);
  });

  it("a higher version replaces the one seen", async () => {
    const { state, policies } = setup();
    state.stored = await signed({ minCellCount: 500 }, { version: 2 });
    await policies.gatePolicy(DATASET);
    state.stored = await signed({ minCellCount: 20 }, { version: 3 });
    expect((await policies.gatePolicy(DATASET)).minCellCount).toBe(20);
  });

  it("error: an unknown dataset gets the defaults", async () => {
    const { state, policies } = setup();
    state.provider = null;
    state.stored = await signed({ minCellCount: 1000 });
    expect(await policies.resolve(DATASET, "gate")).toMatchObject({ source: "default" });
  });

  it("error: store and chain failures propagate (the caller retries), they do not mean the defaults", async () => {
    const policies = createDatasetPolicies({
      chainId: CHAIN_ID,
      hub: HUB,
      fetchDocument: async () => {
        throw new Error("store down");
      },
      providerOf: async () => provider.address,
      log: () => {},
    });
    await expect(policies.gatePolicy(DATASET)).rejects.toThrow("store down");
  });
});
