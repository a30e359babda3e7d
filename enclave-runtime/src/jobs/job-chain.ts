/**
 * What the Privacy Plane reads from and records on the chain about Privacy Mode jobs (runs inside the
 * TEE). One narrow interface: the hub implementation (hub-job-chain.ts) in every deployment, fakes in tests.
 */
import type { JobFailureReason, JobStatus } from "@cce4long/protocol";
import type { Address, Hex } from "viem";

/** `Jobs.JobRecord` as the hub returns it. */
export interface OnChainJob {
  jobId: Hex;
  consumer: Address;
  status: JobStatus;
  /** 0 until dispatched. */
  datasetVersion: number;
  datasetId: Hex;
  imageDigest: Hex;
  specCommitment: Hex;
  resultPublicKey: Hex;
}

export interface DatasetVersion {
  version: number;
  manifestRoot: Hex;
}

export interface JobChain {
  /** The job, or undefined when the hub does not know it. */
  getJob(jobId: Hex): Promise<OnChainJob | undefined>;
  isRentalActive(datasetId: Hex, consumer: Address): Promise<boolean>;
  isImageDigestAllowed(datasetId: Hex, imageDigest: Hex): Promise<boolean>;
  isMeasurementAllowed(datasetId: Hex, measurementId: Hex): Promise<boolean>;
  /** The newest committed version of the dataset, or undefined if it has none (or is unknown). */
  latestDatasetVersion(datasetId: Hex): Promise<DatasetVersion | undefined>;
  /** Each record resolves once mined (with the transaction hash) and rejects with CHAIN_REVERTED. */
  recordDispatched(jobId: Hex, datasetVersion: number): Promise<Hex>;
  recordKeyReleased(jobId: Hex, measurementId: Hex): Promise<Hex>;
  recordOutputsSubmitted(jobId: Hex, outputsCommitment: Hex): Promise<Hex>;
  recordFailed(jobId: Hex, reason: JobFailureReason): Promise<Hex>;
}
