/**
 * Test helpers of the key-release chain (tests only, runs in Node): a fake JobChain over plain
 * records, development evidence with chosen report_data, and a credential minted with a throwaway key.
 */
import { randomBytes } from "node:crypto";
import { JobStatus } from "@cce4long/protocol";
import { encodeDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { buildReportData, REPORT_DATA_PURPOSE } from "@cce4long/protocol/attestation/report-data";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { mintJobCredential } from "../credentials/mint-credential";
import type { DatasetVersion, JobChain, OnChainJob } from "../jobs/job-chain";

export const b32 = (c: string) => `0x${c.repeat(64)}` as Hex;
export const hex48 = (c: string) => c.repeat(96);

export const TEST_DOMAIN = { chainId: 31337, hub: "0x5FbDB2315678afecb367f032d93F642f64180aa3" } as const;

export function testIssuer() {
  const privateKey = `0x${randomBytes(32).toString("hex")}` as Hex;
  return { privateKey, address: privateKeyToAccount(privateKey).address };
}

export function testJob(overrides: Partial<OnChainJob> = {}): OnChainJob {
  return {
    jobId: b32("1"),
    consumer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    status: JobStatus.Dispatched,
    datasetVersion: 1,
    datasetId: b32("2"),
    imageDigest: b32("5"),
    specCommitment: b32("6"),
    resultPublicKey: b32("7"),
    ...overrides,
  };
}

export async function testCredential(privateKey: Hex, job: OnChainJob, now = new Date(), ttlSeconds = 600) {
  return mintJobCredential({
    privateKey,
    domain: TEST_DOMAIN,
    scope: {
      jobId: job.jobId,
      datasetId: job.datasetId,
      datasetVersion: job.datasetVersion,
      manifestRoot: b32("4"),
      imageDigest: job.imageDigest,
      specCommitment: job.specCommitment,
    },
    now,
    ttlSeconds,
  });
}

/** Development evidence carrying `reportData`, issued at `issuedAt`. */
export function devEvidence(reportData: Uint8Array, issuedAt = new Date()): Uint8Array {
  return encodeDevEvidence({
    warning: "INSECURE DEVELOPMENT EVIDENCE: NOT A TDX QUOTE, ANYONE CAN FORGE IT",
    report_data: Buffer.from(reportData).toString("hex"),
    mrtd: hex48("a"),
    rtmr0: hex48("b"),
    rtmr1: hex48("c"),
    rtmr2: hex48("d"),
    rtmr3: hex48("e"),
    app_id: "f".repeat(40),
    instance_id: "1".repeat(40),
    compose_hash: "2".repeat(64),
    issued_at: issuedAt.toISOString(),
  });
}

export function keyReleaseReportData(publicKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return buildReportData({ purpose: REPORT_DATA_PURPOSE.KEY_RELEASE, publicKey, nonce });
}

export interface FakeChain extends JobChain {
  jobs: Map<string, OnChainJob>;
  allowedMeasurements: Set<string>;
  allowedImages: Set<string>;
  activeRentals: Set<string>;
  records: { kind: string; jobId: Hex; value: unknown }[];
}

/** A JobChain in memory that enforces the same transitions as the hub for the steps it records. */
export function fakeChain(
  jobs: OnChainJob[] = [],
  version: DatasetVersion = { version: 1, manifestRoot: b32("4") },
): FakeChain {
  const chain: FakeChain = {
    jobs: new Map(jobs.map((j) => [j.jobId, { ...j }])),
    allowedMeasurements: new Set(),
    allowedImages: new Set(jobs.map((j) => j.imageDigest)),
    activeRentals: new Set(jobs.map((j) => `${j.datasetId}:${j.consumer}`)),
    records: [],
    getJob: async (jobId) => {
      const job = chain.jobs.get(jobId);
      return job ? { ...job } : undefined;
    },
    isRentalActive: async (datasetId, consumer) => chain.activeRentals.has(`${datasetId}:${consumer}`),
    isImageDigestAllowed: async (_d, digest) => chain.allowedImages.has(digest),
    isMeasurementAllowed: async (_d, id) => chain.allowedMeasurements.has(id),
    latestDatasetVersion: async () => version,
    recordDispatched: async (jobId, datasetVersion) =>
      move(jobId, [JobStatus.Requested], JobStatus.Dispatched, "dispatched", datasetVersion, {
        datasetVersion,
      }),
    recordKeyReleased: async (jobId, id) =>
      move(jobId, [JobStatus.Dispatched], JobStatus.KeyReleased, "keyReleased", id),
    recordOutputsSubmitted: async (jobId, c) =>
      move(jobId, [JobStatus.KeyReleased], JobStatus.OutputsSubmitted, "outputsSubmitted", c),
    recordFailed: async (jobId, reason) =>
      move(
        jobId,
        [JobStatus.Requested, JobStatus.Dispatched, JobStatus.KeyReleased, JobStatus.OutputsSubmitted],
        JobStatus.Failed,
        "failed",
        reason,
      ),
  };
  function move(
    jobId: Hex,
    from: number[],
    to: number,
    kind: string,
    value: unknown,
    patch: Partial<OnChainJob> = {},
  ): Hex {
    const job = chain.jobs.get(jobId);
    if (!job || !from.includes(job.status)) throw new Error(`illegal transition ${kind} from ${job?.status}`);
    Object.assign(job, { status: to, ...patch });
    chain.records.push({ kind, jobId, value });
    return b32("9");
  }
  return chain;
}
