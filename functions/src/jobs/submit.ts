/**
 * Submitting a Privacy Mode job (runs in workerd), shared by POST /v1/jobs and the signed webhook
 * trigger: a straight chain of checks against the chain, then one idempotent publish.
 */
import { Cce4longError, JOB_STATUSES, JobStatus, type JobSubmission } from "@cce4long/protocol";
import type { Address, Hex } from "viem";
import { isAddressEqual } from "viem";
import { hubReader } from "../chain/hub-reader";
import { jobReader, type OnChainJob } from "../chain/job-reader";
import type { Config } from "../config";
import type { Bindings } from "../env";
import { submissionStub } from "./submission-store";

export function statusName(status: number) {
  const name = JOB_STATUSES[status - 1];
  if (name === undefined)
    throw new Cce4longError("INTERNAL", "An internal error occurred", { detail: { status } });
  return name;
}

/** The job, if it exists and belongs to `consumer`; JOB_NOT_FOUND / AUTH_FORBIDDEN otherwise. */
export async function ensureOwnJob(config: Config, jobId: Hex, consumer: Address): Promise<OnChainJob> {
  const job = await jobReader(config).job(jobId);
  if (job === null) throw new Cce4longError("JOB_NOT_FOUND", "No job with this id was requested on-chain");
  if (!isAddressEqual(job.consumer, consumer)) {
    throw new Cce4longError("AUTH_FORBIDDEN", "This job belongs to another consumer", {
      detail: { jobId, consumer, owner: job.consumer },
    });
  }
  return job;
}

export interface SubmitResult {
  submission: JobSubmission;
  replayed: boolean;
}

export async function submitJob(
  env: Bindings,
  config: Config,
  jobId: Hex,
  consumer: Address,
): Promise<SubmitResult> {
  const stub = submissionStub(env.JOB_SUBMISSIONS, jobId);
  // The chain read and the submission lookup do not depend on each other: one round trip each, together.
  const [job, existing] = await Promise.all([ensureOwnJob(config, jobId, consumer), stub.lookup()]);
  // Already submitted: the same answer, whatever happened since (dispatch, rental expiry).
  if (existing !== null) return { submission: existing, replayed: true };

  if (job.status !== JobStatus.Requested) {
    throw new Cce4longError(
      "JOB_INVALID_STATE",
      `The job is ${statusName(job.status)}; only a requested job can be submitted`,
    );
  }
  const rental = await hubReader(config).rental(job.datasetId, consumer);
  if (!rental.active) {
    throw new Cce4longError("RENTAL_INACTIVE", "The rental of this job's dataset is not active", {
      detail: { datasetId: job.datasetId, consumer, expiresAt: rental.expiresAt.toString() },
    });
  }
  const outcome = await stub.submit({
    type: "job.submitted",
    version: 1,
    jobId: jobId.toLowerCase(),
    datasetId: job.datasetId.toLowerCase(),
    // The chain's (checksummed) spelling, whoever submits: the API caller or a trigger's owner.
    consumer: job.consumer,
    submittedAt: new Date().toISOString(),
  });
  if (!outcome.ok) throw new Cce4longError(outcome.code, outcome.message);
  return { submission: outcome.submission, replayed: outcome.replayed };
}
