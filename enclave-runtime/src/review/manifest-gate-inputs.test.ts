/**
 * The production gate-input wiring (manifestGateInputs, runs in Node under vitest): a version ingested
 * into an in-memory store gives the gate its sealed fingerprint index and the provider's signed policy;
 * a rolled-back policy store sends a clean table to review through this same wiring; a version whose
 * manifest or index is missing or does not match its on-chain root never lets a set be auto-approved.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_HEADER, csvLine } from "@cce4long/cli/cohort/csv";
import {
  DATASET_POLICY_TYPES,
  datasetPolicyDomain,
  datasetPolicyMessage,
  type PolicyDocument,
} from "@cce4long/protocol/api/policies";
import { UPLOAD_KEYS } from "@cce4long/protocol/api/uploads";
import { type DeclaredOutput, declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { Hex } from "viem";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildFingerprintIndex } from "../gate/fingerprints/build";
import { frequencyCsv } from "../gate/test-support/aggregates";
import { FIXTURE_ROWS, text } from "../gate/test-support/cohort-fixture";
import { fingerprintBuilder } from "../ingest/derived";
import { ingestUpload } from "../ingest/ingest-upload";
import type { MemoryObjectStore } from "../ingest/memory-object-store";
import {
  DATASET,
  datasetKey,
  PROVIDER_ACCOUNT,
  SIGNATURE_DOMAIN,
  stageUpload,
  testDeps,
} from "../ingest/test-support";
import { createDatasetPolicies } from "../policies/dataset-policies";
import { FilePolicyMemory } from "../policies/file-policy-memory";
import { createGateRunner, type GateRunner } from "./gate-runner";
import { manifestGateInputs, type VersionRootReader } from "./manifest-gate-inputs";

const COHORT = text(CSV_HEADER + FIXTURE_ROWS.map(csvLine).join(""));
const frequency: DeclaredOutput = declaredOutputSchema.parse({
  description: "counts",
  kind: "frequency_table",
  path: "freq.csv",
  format: "csv",
  countColumn: "n",
  dimensionColumns: ["sex", "age_band", "smoking_status"],
});
const copied: DeclaredOutput = declaredOutputSchema.parse({
  description: "notes",
  kind: "free_text",
  path: "rows.csv",
  format: "csv",
});
const emptyIndex = () =>
  buildFingerprintIndex({ datasetKey: new Uint8Array(32), schema: { columns: [] } as never, rows: [] });

let store: MemoryObjectStore;
let roots: string[];
let stateDir: string;
const policyStore: { stored: PolicyDocument | null } = { stored: null };

beforeAll(async () => {
  const ingest = testDeps({}, [fingerprintBuilder]);
  const message = await stageUpload(ingest.store, [{ path: "cohort.csv", plaintext: COHORT }]);
  expect((await ingestUpload(ingest.deps, message)).kind).toBe("committed");
  store = ingest.store;
  roots = ingest.chain.versions.get(DATASET) ?? [];
}, 60_000);

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "cce4long-gate-inputs-"));
  policyStore.stored = null;
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

async function signed(minCellCount: number, version: number): Promise<PolicyDocument> {
  const body = {
    datasetId: DATASET as Hex,
    kind: "gate" as const,
    policy: { minCellCount },
    version,
    issuedAt: 1_800_000_000,
  };
  const signature = await PROVIDER_ACCOUNT.signTypedData({
    domain: datasetPolicyDomain(SIGNATURE_DOMAIN.chainId, SIGNATURE_DOMAIN.hub),
    types: DATASET_POLICY_TYPES,
    primaryType: "DatasetPolicy",
    message: datasetPolicyMessage(body),
  });
  return { ...body, signer: PROVIDER_ACCOUNT.address, signature };
}

/** A Privacy Plane process's gate over the ingested version: nothing in memory but the state folder. */
function gate(
  versionRoot: VersionRootReader = async (_, v) => roots[v - 1] as Hex,
  objects: Pick<MemoryObjectStore, "getBytes"> = store,
): GateRunner {
  const policies = createDatasetPolicies({
    chainId: SIGNATURE_DOMAIN.chainId,
    hub: SIGNATURE_DOMAIN.hub,
    fetchDocument: async () => structuredClone(policyStore.stored),
    providerOf: async () => PROVIDER_ACCOUNT.address,
    log: () => {},
    memory: new FilePolicyMemory(stateDir),
  });
  const source = manifestGateInputs({
    versionRoot,
    store: objects,
    keyring: { keyForRead: async () => datasetKey() },
    policies,
  });
  return createGateRunner(source, emptyIndex);
}

const tableSet = (version = 1) => ({
  jobId: `0x${"01".repeat(32)}`,
  datasetId: DATASET,
  datasetVersion: version,
  files: [{ path: "freq.csv", bytes: text(frequencyCsv(FIXTURE_ROWS)) }],
  declared: [frequency],
});

describe("the gate's inputs come from the committed version", () => {
  it("a clean table is auto-approved under the provider's policy, with the version's index loaded", async () => {
    policyStore.stored = await signed(5, 2);
    const report = await gate()(tableSet());
    expect(report.decision).toBe("auto-approved");
  });

  it("error: rows copied from the dataset are caught by the index sealed beside the version", async () => {
    const rows = CSV_HEADER + FIXTURE_ROWS.slice(0, 200).map(csvLine).join("");
    const report = await gate()({
      ...tableSet(),
      files: [{ path: "rows.csv", bytes: text(rows) }],
      declared: [copied],
    });
    expect(report.decision).toBe("rejected-by-rules");
  });

  it("error: a rolled-back policy store sends the same clean table to review, also after a restart", async () => {
    policyStore.stored = await signed(5, 2);
    expect((await gate()(tableSet())).decision).toBe("auto-approved");
    policyStore.stored = await signed(5, 1); // the store serves the older document
    const report = await gate()(tableSet());
    expect(report.decision).toBe("needs-review");
    expect(report.setFindings.map((f) => f.rule)).toContain("limits.policy_rolled_back");
  });

  it("error: a manifest altered under its root's name fails the gate run (no decision at all)", async () => {
    const manifestKey = `${BUCKETS.datasets}/${UPLOAD_KEYS.manifestByRoot(DATASET, roots[0] as string)}`;
    const original = store.objects.get(manifestKey) as Uint8Array;
    const altered = JSON.parse(new TextDecoder().decode(original));
    altered.entries[0].size += 1;
    store.objects.set(manifestKey, text(JSON.stringify(altered)));
    try {
      await expect(gate()(tableSet())).rejects.toMatchObject({ code: expect.any(String) });
    } finally {
      store.objects.set(manifestKey, original);
    }
  });

  it("loads a version's index once for the runs of that version, and again for another root", async () => {
    const reads: string[] = [];
    const counting = {
      getBytes: (bucket: string, key: string) => {
        reads.push(key);
        return store.getBytes(bucket, key);
      },
    };
    let root = roots[0] as Hex;
    const run = gate(async () => root, counting);
    const rows = CSV_HEADER + FIXTURE_ROWS.slice(0, 200).map(csvLine).join("");
    const copiedSet = { ...tableSet(), files: [{ path: "rows.csv", bytes: text(rows) }], declared: [copied] };
    const [a, b] = await Promise.all([run(copiedSet), run(copiedSet)]);
    expect(a.decision).toBe("rejected-by-rules");
    expect(b.decision).toBe("rejected-by-rules");
    expect((await run(copiedSet)).decision).toBe("rejected-by-rules");
    const manifestReads = () => reads.filter((k) => k.includes(root.slice(2))).length;
    expect(manifestReads()).toBe(1);
    const before = reads.length;
    expect(before).toBe(2); // the manifest and the sealed index, once for three runs
    // Another root (another version): loaded on its own; here it has no manifest, so review.
    root = `0x${"77".repeat(32)}`;
    expect((await run(copiedSet)).decision).toBe("needs-review");
    expect(reads.length).toBe(before + 1);
  });

  it("error: a load that found no index is not kept: once the manifest is back, the index is used", async () => {
    const manifestKey = `${BUCKETS.datasets}/${UPLOAD_KEYS.manifestByRoot(DATASET, roots[0] as string)}`;
    const manifest = store.objects.get(manifestKey) as Uint8Array;
    const run = gate();
    const rows = CSV_HEADER + FIXTURE_ROWS.slice(0, 200).map(csvLine).join("");
    const copiedSet = { ...tableSet(), files: [{ path: "rows.csv", bytes: text(rows) }], declared: [copied] };
    store.objects.delete(manifestKey);
    try {
      expect((await run(copiedSet)).decision).toBe("needs-review");
    } finally {
      store.objects.set(manifestKey, manifest);
    }
    expect((await run(copiedSet)).decision).toBe("rejected-by-rules");
  });

  it("error: an on-chain root with no manifest in the store goes to review", async () => {
    const report = await gate(async () => `0x${"77".repeat(32)}` as Hex)(tableSet());
    expect(report.decision).toBe("needs-review");
    expect(report.setFindings.map((f) => f.rule)).toContain("leakage.dataset_rows");
  });

  it("error: a version whose manifest or index is missing goes to review, never auto-approval", async () => {
    const manifestKey = `${BUCKETS.datasets}/${UPLOAD_KEYS.manifestByRoot(DATASET, roots[0] as string)}`;
    const manifest = store.objects.get(manifestKey);
    store.objects.delete(manifestKey);
    try {
      const report = await gate()(tableSet());
      expect(report.decision).toBe("needs-review");
      expect(report.setFindings.map((f) => f.rule)).toContain("leakage.dataset_rows");
    } finally {
      if (manifest) store.objects.set(manifestKey, manifest);
    }
  });
});
