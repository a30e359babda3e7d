/**
 * Ingest's Explore sample follows the provider's signed sample policy (runs in Node): the derived
 * builders get their policy from the Privacy Plane's reader, and the sample's report records it.
 */
import { cohortRows } from "@cce4long/cli/cohort/rows";
import {
  DATASET_POLICY_TYPES,
  datasetPolicyDomain,
  datasetPolicyMessage,
  type ExploreSampleReport,
  LONGEVITY_COHORT_SCHEMA,
} from "@cce4long/protocol";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { derivedBuilders } from "../ingest/derived";
import { createDatasetPolicies } from "./dataset-policies";

const provider = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const stranger = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a7412f4cdb7df4a6a8a");
const HUB: Hex = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const DATASET = `0x${"ab".repeat(32)}`;

async function sampleReportUnder(signer: typeof provider): Promise<ExploreSampleReport> {
  const body = {
    datasetId: DATASET,
    kind: "explore-sample" as const,
    policy: { k: 17 },
    version: 1,
    issuedAt: 1,
  };
  const signature = await signer.signTypedData({
    domain: datasetPolicyDomain(31337, HUB),
    types: DATASET_POLICY_TYPES,
    primaryType: "DatasetPolicy",
    message: datasetPolicyMessage(body),
  });
  const policies = createDatasetPolicies({
    chainId: 31337,
    hub: HUB,
    fetchDocument: async () => ({ ...body, signer: signer.address, signature }),
    providerOf: async () => provider.address,
    log: () => {},
  });
  const builders = derivedBuilders((datasetId) => policies.samplePolicy(datasetId));
  const rows = [...cohortRows({ participants: 400, seed: 3n })] as unknown as Record<string, string>[];
  const context = {
    datasetId: DATASET,
    uploadId: "u1",
    datasetKey: new Uint8Array(32).fill(9),
    tables: [{ path: "cohort.csv", schema: LONGEVITY_COHORT_SCHEMA, rows }],
  };
  const reportBuilder = builders.find((b) => b.name === "explore-sample-report.json");
  const bytes = await reportBuilder!.build(context);
  return JSON.parse(new TextDecoder().decode(bytes!)) as ExploreSampleReport;
}

describe("ingest's Explore sample policy", () => {
  it("the provider's signed policy decides the sample, and the report records it", async () => {
    const report = await sampleReportUnder(provider);
    expect(report.kRequired).toBe(17);
    expect(report.policy.k).toBe(17);
  });

  it("error: a policy signed by someone else is ignored: the sample uses the defaults", async () => {
    const report = await sampleReportUnder(stranger);
    expect(report.kRequired).toBe(5);
  });
});
