/**
 * Privacy Mode jobs as the demo's consumer runs them (runs on the user's machine): publish the job
 * spec, have the image allowed, request the job on-chain with a fresh result key, submit it through
 * the API, and watch its on-chain status.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JobStatus, type PublishedSpec } from "@cce4long/protocol";
import { generateEphemeralKeyPair } from "@cce4long/sealing/ecdhe-wrap";
import { type Hex, toHex } from "viem";
import { REPO_ROOT } from "../../../platform/src/stack";
import type { ApiClient } from "../sdk/api-client";
import type { HubClient } from "../sdk/hub-client";

export interface RequestedJob {
  jobId: Hex;
  name: string;
  /** File with the consumer's X25519 result private key (64 hex, mode 0600). */
  resultKeyFile: string;
}

export async function requestExampleJob(input: {
  example: string;
  datasetId: Hex;
  consumerApi: ApiClient;
  consumerHub: HubClient;
  providerHub: HubClient;
  workDir: string;
}): Promise<RequestedJob> {
  const spec = JSON.parse(
    readFileSync(join(REPO_ROOT, "examples", input.example, "job.json"), "utf8"),
  ) as unknown;
  const published = await input.consumerApi.request<PublishedSpec>("POST", "/v1/algorithms/specs", spec);
  // The provider decides which algorithms may touch its data: allow this image for this dataset.
  await input.providerHub.allowImageDigest(input.datasetId, published.imageDigest as Hex);
  const resultKey = generateEphemeralKeyPair();
  const resultKeyFile = join(input.workDir, `${input.example}.result-key`);
  writeFileSync(resultKeyFile, Buffer.from(resultKey.privateKey).toString("hex"), { mode: 0o600 });
  const { jobId } = await input.consumerHub.requestJob({
    datasetId: input.datasetId,
    imageDigest: published.imageDigest as Hex,
    specCommitment: published.specCommitment as Hex,
    resultPublicKey: toHex(resultKey.publicKey),
  });
  await input.consumerApi.request("POST", "/v1/jobs", { jobId });
  return { jobId, name: input.example, resultKeyFile };
}

const STATUS_NAMES = Object.fromEntries(Object.entries(JobStatus).map(([name, code]) => [code, name]));

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? String(status);
}

/** Polls the job's on-chain status until it is one of `until`; fails on Failed or after the timeout. */
export async function waitForJob(
  hub: HubClient,
  jobId: Hex,
  until: readonly number[],
  timeoutMs = 240_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let status = -1;
  while (Date.now() < deadline) {
    status = Number(await hub.jobStatus(jobId));
    if (until.includes(status)) return status;
    if (status === JobStatus.Failed || status === JobStatus.Cancelled) {
      throw new Error(`job ${jobId} ended ${statusName(status)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`job ${jobId} still ${statusName(status)} after ${timeoutMs / 1000} s`);
}
