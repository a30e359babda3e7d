/**
 * The policy memory across restarts (runs in Node under vitest, real files in a temporary folder): the
 * newest accepted document per dataset and kind survives a new process (a fresh reader over the same
 * state folder), a rollback or a hidden document after the restart still does not loosen the policy and
 * makes the gate refuse to auto-approve, and a corrupt state file fails closed with a typed error.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import {
  DATASET_POLICY_TYPES,
  datasetPolicyDomain,
  datasetPolicyMessage,
  type PolicyDocument,
} from "@cce4long/protocol/api/policies";
import { type DeclaredOutput, declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { frequencyCsv } from "../gate/test-support/aggregates";
import { FIXTURE_ROWS, fixtureIndex, text } from "../gate/test-support/cohort-fixture";
import { createGateRunner } from "../review/gate-runner";
import { createDatasetPolicies, type DatasetPolicies } from "./dataset-policies";
import { FilePolicyMemory } from "./file-policy-memory";

const provider = privateKeyToAccount("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const CHAIN_ID = 31337;
const HUB: Hex = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const DATASET = `0x${"ab".repeat(32)}`;

async function signed(policy: Record<string, unknown>, version: number): Promise<PolicyDocument> {
  const body = { datasetId: DATASET as Hex, kind: "gate" as const, policy, version, issuedAt: 1_800_000_000 };
  const signature = await provider.signTypedData({
    domain: datasetPolicyDomain(CHAIN_ID, HUB),
    types: DATASET_POLICY_TYPES,
    primaryType: "DatasetPolicy",
    message: datasetPolicyMessage(body),
  });
  return { ...body, signer: provider.address, signature };
}

let stateDir: string;
const store: { stored: unknown } = { stored: null };

/** A new Privacy Plane process: nothing in memory, only the state folder. */
function startProcess(): DatasetPolicies {
  return createDatasetPolicies({
    chainId: CHAIN_ID,
    hub: HUB,
    fetchDocument: async () => structuredClone(store.stored),
    providerOf: async () => provider.address,
    log: () => {},
    memory: new FilePolicyMemory(stateDir),
  });
}

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "cce4long-policy-memory-"));
  store.stored = null;
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("the newest accepted policy survives a restart", () => {
  it("is written 0600 under the state folder and read back by a new process", async () => {
    store.stored = await signed({ minCellCount: 500 }, 2);
    expect((await startProcess().resolve(DATASET, "gate")).version).toBe(2);
    const files = await readdir(join(stateDir, "dataset-policies"));
    expect(files).toEqual([`${DATASET}.gate.json`]);
    expect((await stat(join(stateDir, "dataset-policies", files[0] as string))).mode & 0o777).toBe(0o600);
    const after = await startProcess().resolve(DATASET, "gate");
    expect(after).toMatchObject({ source: "provider", version: 2 });
    expect(after.rolledBack).toBeUndefined();
    expect(after.policy.minCellCount).toBe(500);
  });

  it("error: a rollback after the restart keeps the newest version and is flagged", async () => {
    store.stored = await signed({ minCellCount: 500 }, 2);
    await startProcess().resolve(DATASET, "gate");
    store.stored = await signed({ minCellCount: 3 }, 1); // the store serves the older, looser document
    const after = await startProcess().resolve(DATASET, "gate");
    expect(after).toMatchObject({ source: "provider", version: 2, rolledBack: true });
    expect(after.policy.minCellCount).toBe(500);
  });

  it("error: a document hidden after the restart does not bring the defaults back", async () => {
    store.stored = await signed({ minCellCount: 500 }, 2);
    await startProcess().resolve(DATASET, "gate");
    store.stored = null;
    const after = await startProcess().resolve(DATASET, "gate");
    expect(after).toMatchObject({ source: "provider", version: 2, rolledBack: true });
    expect(after.policy.minCellCount).toBe(500);
  });

  it("a newer version after the restart replaces the remembered one", async () => {
    store.stored = await signed({ minCellCount: 500 }, 2);
    await startProcess().resolve(DATASET, "gate");
    store.stored = await signed({ minCellCount: 20 }, 3);
    expect((await startProcess().resolve(DATASET, "gate")).version).toBe(3);
    store.stored = await signed({ minCellCount: 500 }, 2);
    expect(await startProcess().resolve(DATASET, "gate")).toMatchObject({ version: 3, rolledBack: true });
  });

  it("error: a corrupt state file fails closed with POLICY_STATE_CORRUPT, for every shape of damage", async () => {
    store.stored = await signed({ minCellCount: 500 }, 2);
    await startProcess().resolve(DATASET, "gate");
    const file = join(stateDir, "dataset-policies", `${DATASET}.gate.json`);
    const valid = await signed({ minCellCount: 500 }, 2);
    for (const damage of [
      "{ not json",
      "",
      JSON.stringify({ document: valid }),
      JSON.stringify({ document: { ...valid, version: "two" }, provider: provider.address.toLowerCase() }),
      JSON.stringify({
        document: { ...valid, datasetId: `0x${"cd".repeat(32)}` },
        provider: provider.address.toLowerCase(),
      }),
    ]) {
      await writeFile(file, damage);
      const error = await startProcess()
        .resolve(DATASET, "gate")
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(Cce4longError);
      expect((error as Cce4longError).code).toBe("POLICY_STATE_CORRUPT");
    }
  });
});

describe("the gate does not auto-approve under a rolled-back policy", () => {
  const declared: DeclaredOutput = declaredOutputSchema.parse({
    description: "counts",
    kind: "frequency_table",
    path: "freq.csv",
    format: "csv",
    countColumn: "n",
    dimensionColumns: ["sex", "age_band", "smoking_status"],
  });
  const input = {
    jobId: `0x${"01".repeat(32)}`,
    datasetId: DATASET,
    datasetVersion: 1,
    files: [{ path: "freq.csv", bytes: text(frequencyCsv(FIXTURE_ROWS)) }],
    declared: [declared],
  };
  const runnerOver = (policies: DatasetPolicies) =>
    createGateRunner(async (datasetId) => {
      const resolved = await policies.resolve(datasetId, "gate");
      return {
        policy: resolved.policy,
        fingerprints: fixtureIndex(),
        policyRolledBack: resolved.rolledBack === true,
      };
    }, fixtureIndex);

  it("a clean table is auto-approved while the store shows the newest policy", async () => {
    store.stored = await signed({ minCellCount: 5 }, 2);
    expect((await runnerOver(startProcess())(input)).decision).toBe("auto-approved");
  });

  it("error: the same table goes to review once the store rolls back, also after a restart", async () => {
    store.stored = await signed({ minCellCount: 5 }, 2);
    await startProcess().resolve(DATASET, "gate");
    store.stored = await signed({ minCellCount: 5 }, 1);
    const report = await runnerOver(startProcess())(input);
    expect(report.decision).toBe("needs-review");
    expect(report.setFindings.map((f) => f.rule)).toContain("limits.policy_rolled_back");
  });
});
