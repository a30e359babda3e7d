/**
 * Key release, step 5 (runs inside the TEE): the consumer's rental is still active now (checked
 * again: it may have expired between the request, the dispatch and this moment).
 */
import type { JobChain, OnChainJob } from "../jobs/job-chain";
import { KEY_RELEASE_DENIAL, keyReleaseDenied } from "./denial";

export async function ensureRentalActive(params: {
  chain: Pick<JobChain, "isRentalActive">;
  job: Pick<OnChainJob, "jobId" | "datasetId" | "consumer">;
}): Promise<void> {
  const { job } = params;
  if (!(await params.chain.isRentalActive(job.datasetId, job.consumer))) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.RENTAL_INACTIVE, {
      jobId: job.jobId,
      datasetId: job.datasetId,
      consumer: job.consumer,
    });
  }
}
