/**
 * The JobChain over the deployed cce4long hub (runs inside the TEE): reads through a viem public
 * client, records as the Privacy Plane's "chain-recorder" key (the transaction sender is the recorder
 * the audit trail shows) through the process-wide queue of chain/hub-writer.ts.
 */
import { cce4longHubAbi, JobStatus } from "@cce4long/protocol";
import type { Address, Hex } from "viem";
import { createHubWriter, type HubWriterOptions, hubChainError, revertName } from "../chain/hub-writer";
import type { DatasetVersion, JobChain, OnChainJob } from "./job-chain";

export type HubJobChainOptions = HubWriterOptions;

export function createHubJobChain(options: HubJobChainOptions): JobChain {
  const hub = createHubWriter(options);
  const { reader, address, read, record } = hub;

  return {
    async getJob(jobId) {
      const status = await read<number>("jobStatus", [jobId]);
      if (status === JobStatus.None) return undefined;
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
        status: job.status as OnChainJob["status"],
        datasetVersion: Number(job.datasetVersion),
        datasetId: job.datasetId,
        imageDigest: job.imageDigest,
        specCommitment: job.specCommitment,
        resultPublicKey: job.resultPublicKey,
      };
    },
    isRentalActive: (datasetId, consumer) => read<boolean>("isRentalActive", [datasetId, consumer]),
    isImageDigestAllowed: (datasetId, digest) => read<boolean>("isImageDigestAllowed", [datasetId, digest]),
    isMeasurementAllowed: (datasetId, id) => read<boolean>("isMeasurementAllowed", [datasetId, id]),
    async latestDatasetVersion(datasetId): Promise<DatasetVersion | undefined> {
      let versionCount: number;
      try {
        const dataset = await reader.readContract({
          address,
          abi: cce4longHubAbi,
          functionName: "getDataset",
          args: [datasetId],
        });
        versionCount = Number(dataset.versionCount);
      } catch (cause) {
        if (revertName(cause)) return undefined;
        throw hubChainError("getDataset", cause);
      }
      if (versionCount === 0) return undefined;
      const manifestRoot = await read<Hex>("datasetVersionRoot", [datasetId, versionCount]);
      return { version: versionCount, manifestRoot };
    },
    recordDispatched: (jobId, version) => record("recordJobDispatched", [jobId, version]),
    recordKeyReleased: (jobId, measurementId) => record("recordJobKeyReleased", [jobId, measurementId]),
    recordOutputsSubmitted: (jobId, commitment) => record("recordJobOutputsSubmitted", [jobId, commitment]),
    recordFailed: (jobId, reason) => record("recordJobFailed", [jobId, reason]),
  };
}
