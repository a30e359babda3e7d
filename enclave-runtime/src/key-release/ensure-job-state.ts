/**
 * Key release, step 6 (runs inside the TEE): the job exists on-chain, is `Dispatched` (not yet given a
 * key: the durable guard against a second release), matches every scope of the credential (dataset,
 * version, image digest, spec), and its image is still allowed.
 */
import { JobStatus } from "@cce4long/protocol";
import type { JobCredentialClaims } from "../credentials/job-credential";
import type { JobChain, OnChainJob } from "../jobs/job-chain";
import { KEY_RELEASE_DENIAL, keyReleaseDenied } from "./denial";

export async function ensureJobState(params: {
  chain: Pick<JobChain, "getJob" | "isImageDigestAllowed">;
  claims: JobCredentialClaims;
}): Promise<OnChainJob> {
  const { claims } = params;
  const job = await params.chain.getJob(claims.jobId);
  if (!job) throw keyReleaseDenied(KEY_RELEASE_DENIAL.JOB_UNKNOWN, { jobId: claims.jobId });
  if (job.status !== JobStatus.Dispatched) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.JOB_STATE, { jobId: claims.jobId, status: job.status });
  }
  const mismatched = [
    job.datasetId.toLowerCase() !== claims.datasetId && "datasetId",
    job.datasetVersion !== claims.datasetVersion && "datasetVersion",
    job.imageDigest.toLowerCase() !== claims.imageDigest && "imageDigest",
    job.specCommitment.toLowerCase() !== claims.specCommitment && "specCommitment",
  ].filter((field): field is string => typeof field === "string");
  if (mismatched.length > 0) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.JOB_MISMATCH, { jobId: claims.jobId, fields: mismatched });
  }
  if (!(await params.chain.isImageDigestAllowed(job.datasetId, job.imageDigest))) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.IMAGE_NOT_ALLOWED, {
      jobId: claims.jobId,
      imageDigest: job.imageDigest,
    });
  }
  return job;
}
