/**
 * Privacy Mode jobs from the consumer's side (runs on the user's machine): publish the job spec, make a
 * result key pair, request the job on-chain naming both, and submit it through the API; then watch its
 * on-chain status. The result private key is written to a 0600 file and never sent anywhere.
 */
import { writeFileSync } from "node:fs";
import { Cce4longError, JobStatus, type PublishedSpec } from "@cce4long/protocol";
import { generateEphemeralKeyPair } from "@cce4long/sealing/ecdhe-wrap";
import { type Hex, toHex } from "viem";
import type { ApiClient } from "./api-client";
import type { HubClient } from "./hub-client";

export async function publishSpec(api: ApiClient, spec: unknown): Promise<PublishedSpec> {
  return api.request<PublishedSpec>("POST", "/v1/algorithms/specs", spec);
}

/** Requests a published job on-chain with a fresh result key, then submits it to the API. */
export async function requestAndSubmitJob(input: {
  api: ApiClient;
  hub: HubClient;
  datasetId: Hex;
  published: PublishedSpec;
  /** Where the result private key (64 hex digits) is written, mode 0600. */
  resultKeyFile: string;
}): Promise<{ jobId: Hex }> {
  const resultKey = generateEphemeralKeyPair();
  writeFileSync(input.resultKeyFile, Buffer.from(resultKey.privateKey).toString("hex"), {
    mode: 0o600,
    flag: "wx",
  });
  resultKey.privateKey.fill(0);
  const { jobId } = await input.hub.requestJob({
    datasetId: input.datasetId,
    imageDigest: input.published.imageDigest as Hex,
    specCommitment: input.published.specCommitment as Hex,
    resultPublicKey: toHex(resultKey.publicKey),
  });
  await input.api.request("POST", "/v1/jobs", { jobId });
  return { jobId };
}

const STATUS_NAMES = Object.fromEntries(Object.entries(JobStatus).map(([name, code]) => [code, name]));

export function jobStatusName(status: number): string {
  return STATUS_NAMES[status] ?? String(status);
}

export const FINAL_STATUSES: readonly number[] = [
  JobStatus.ResultReleased,
  JobStatus.Rejected,
  JobStatus.Failed,
  JobStatus.Cancelled,
];

/** Polls the on-chain status until it is one of `until` (default: final); fails on Failed/Cancelled unless asked for. */
export async function waitForJob(
  hub: HubClient,
  jobId: Hex,
  options: { until?: readonly number[]; timeoutMs?: number; onChange?: (status: number) => void } = {},
): Promise<number> {
  const until = options.until ?? FINAL_STATUSES;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  let last = -1;
  while (Date.now() < deadline) {
    const status = Number(await hub.jobStatus(jobId));
    if (status !== last) options.onChange?.(status);
    last = status;
    if (until.includes(status)) return status;
    if (status === JobStatus.Failed || status === JobStatus.Cancelled) {
      throw new Cce4longError("JOB_INVALID_STATE", `job ${jobId} ended ${jobStatusName(status)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Cce4longError("UNAVAILABLE", `job ${jobId} is still ${jobStatusName(last)} after the wait`);
}
