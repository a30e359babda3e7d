/**
 * The ReviewChain over the deployed cce4long hub (runs inside the TEE): reads through a viem public
 * client; records as the Privacy Plane's "chain-recorder" account through the process-wide queue of
 * chain/hub-writer.ts, so review records never race the other writers for a nonce.
 */
import { cce4longHubAbi, type JobStatus } from "@cce4long/protocol";
import type { Address, Hex } from "viem";
import { createHubWriter, type HubWriterOptions, hubChainError } from "../chain/hub-writer";
import type { ReviewChain } from "./review-chain";

export type HubReviewChainOptions = HubWriterOptions;

export function createHubReviewChain(options: HubReviewChainOptions): ReviewChain {
  const hub = createHubWriter(options);
  const { reader, address, read, record } = hub;
  const fromBlock = hub.fromBlock;

  return {
    async getJob(jobId) {
      const status = await read<number>("jobStatus", [jobId]);
      if (status === 0) return undefined;
      const job = await read<{
        consumer: Address;
        status: number;
        datasetVersion: number;
        datasetId: Hex;
        imageDigest: Hex;
        specCommitment: Hex;
        resultPublicKey: Hex;
      }>("getJob", [jobId]);
      return {
        jobId,
        consumer: job.consumer,
        status: job.status as JobStatus,
        datasetVersion: Number(job.datasetVersion),
        datasetId: job.datasetId,
        imageDigest: job.imageDigest,
        specCommitment: job.specCommitment,
        resultPublicKey: job.resultPublicKey,
      };
    },
    jobStatus: async (jobId) => (await read<number>("jobStatus", [jobId])) as JobStatus,
    isReviewer: (datasetId, account) => read<boolean>("isReviewer", [datasetId, account]),
    datasetVersionRoot: (datasetId, version) => read<Hex>("datasetVersionRoot", [datasetId, version]),
    async keyReleasedMeasurement(datasetId, jobId) {
      try {
        const logs = await reader.getContractEvents({
          address,
          abi: cce4longHubAbi,
          eventName: "JobKeyReleased",
          args: { datasetId, jobId },
          fromBlock,
          strict: true,
        });
        return (logs.at(-1)?.args as { measurementId?: Hex } | undefined)?.measurementId;
      } catch (cause) {
        throw hubChainError("getLogs(JobKeyReleased)", cause);
      }
    },
    recordOutputsSubmitted: (jobId, commitment) => record("recordJobOutputsSubmitted", [jobId, commitment]),
    recordExploreExportSubmitted: (item, commitment) =>
      record("recordExploreExportSubmitted", [
        item.datasetId,
        item.sessionId,
        item.exportId,
        item.datasetVersion,
        item.resultPublicKey,
        commitment,
      ]),
    recordOutputDecision: (jobId, decision, reviewer, decisionHash) =>
      record("recordJobOutputDecision", [jobId, decision, reviewer, decisionHash]),
    recordResultReleased: (jobId, manifestHash) => record("recordJobResultReleased", [jobId, manifestHash]),
    recordFailed: (jobId, reason) => record("recordJobFailed", [jobId, reason]),
  };
}
