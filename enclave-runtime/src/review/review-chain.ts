/**
 * What the review reads from and records on the chain (runs inside the TEE). One narrow interface:
 * hub-review-chain.ts over the deployed hub, fakes in tests. Records resolve once mined and reject
 * with CHAIN_REVERTED (an illegal transition, an unnamed reviewer) or CHAIN_UNREACHABLE.
 */
import type { JobFailureReason, JobStatus, OutputDecision } from "@cce4long/protocol";
import type { Address, Hex } from "viem";
import type { OnChainJob } from "../jobs/job-chain";

/** What the chain records about an Explore export held for review (contracts ExploreExports.sol). */
export interface ExploreExportItem {
  exportId: Hex;
  datasetId: Hex;
  sessionId: Hex;
  datasetVersion: number;
  /** The consumer's X25519 public key (bytes32) an approved export is encrypted to. */
  resultPublicKey: Hex;
}

export interface ReviewChain {
  getJob(jobId: Hex): Promise<OnChainJob | undefined>;
  jobStatus(jobId: Hex): Promise<JobStatus>;
  isReviewer(datasetId: Hex, account: Address): Promise<boolean>;
  datasetVersionRoot(datasetId: Hex, version: number): Promise<Hex>;
  /** The measurement id recorded with the job's key release, if any. */
  keyReleasedMeasurement(datasetId: Hex, jobId: Hex): Promise<Hex | undefined>;
  recordOutputsSubmitted(jobId: Hex, outputsCommitment: Hex): Promise<Hex>;
  /** Opens an Explore export's review item (its job record starts at OutputsSubmitted). */
  recordExploreExportSubmitted(exportItem: ExploreExportItem, outputsCommitment: Hex): Promise<Hex>;
  recordOutputDecision(
    jobId: Hex,
    decision: OutputDecision,
    reviewer: Address,
    decisionHash: Hex,
  ): Promise<Hex>;
  recordResultReleased(jobId: Hex, resultManifestHash: Hex): Promise<Hex>;
  recordFailed(jobId: Hex, reason: JobFailureReason): Promise<Hex>;
}
