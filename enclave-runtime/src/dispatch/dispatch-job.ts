/**
 * Dispatches one submitted job (runs inside the TEE): re-reads the request on-chain and acts only on
 * what is there; checks it matches the message, is still `Requested`, the rental is active and the image
 * allowed; finds the spec by its commitment; mints a Job Credential; launches the VM; records
 * "dispatched". Duplicates (redelivery, double submission) launch at most one VM: the on-chain status,
 * the tracker's in-process lock and the launcher's per-job VM name each stop a second launch.
 */
import { isCce4longError, JobFailureReason, JobStatus } from "@cce4long/protocol";
import { imageDigestBytes32, type JobSpec } from "@cce4long/protocol/jobs/job-spec";
import type { JobSubmittedMessage } from "@cce4long/protocol/queue/messages";
import type { Hex } from "viem";
import { type ComputeLauncher, isRetryableComputeError, type MachineProfile } from "../compute/launcher";
import type { CredentialDomain } from "../credentials/job-credential";
import { mintJobCredential } from "../credentials/mint-credential";
import type { JobChain } from "../jobs/job-chain";
import type { JobSpecSource } from "../jobs/spec-source";
import type { JobTracker } from "./job-tracker";

export interface DispatchDeps {
  chain: JobChain;
  specs: JobSpecSource;
  launcher: ComputeLauncher;
  tracker: JobTracker;
  /** The "job-credential" private key, derived on demand and not kept by the caller longer than needed. */
  credentialKey(): Promise<{ privateKey: Hex; wipe(): void }>;
  credentialDomain: CredentialDomain;
  credentialTtlSeconds: number;
  machineProfile: MachineProfile;
  /** Grace beyond the spec's timeout before the provider deletes the VM regardless. */
  vmGraceSeconds: number;
  log(event: string, fields: Record<string, unknown>): void;
  now(): Date;
}

/** ack: done with the message (dispatched, duplicate, or refused for good); nack: try again later. */
export type DispatchOutcome =
  | { outcome: "dispatched"; instanceRef: string }
  | { outcome: "duplicate"; why: string }
  | { outcome: "refused"; why: string }
  | { outcome: "retry"; why: string };

export async function dispatchJob(
  message: JobSubmittedMessage,
  deps: DispatchDeps,
): Promise<DispatchOutcome> {
  const jobId = message.jobId as Hex;
  const job = await deps.chain.getJob(jobId);
  if (!job) return { outcome: "refused", why: "no such job on-chain" };
  if (
    job.datasetId.toLowerCase() !== message.datasetId ||
    job.consumer.toLowerCase() !== message.consumer.toLowerCase()
  ) {
    return { outcome: "refused", why: "message does not match the on-chain request" };
  }
  if (job.status !== JobStatus.Requested) return { outcome: "duplicate", why: `job status is ${job.status}` };
  if (!deps.tracker.claim(jobId))
    return { outcome: "duplicate", why: "already being dispatched by this process" };

  let launchedRef: string | undefined;
  try {
    if (!(await deps.chain.isRentalActive(job.datasetId, job.consumer))) {
      return await failed(deps, jobId, JobFailureReason.RentalExpired, "rental no longer active");
    }
    if (!(await deps.chain.isImageDigestAllowed(job.datasetId, job.imageDigest))) {
      return await failed(deps, jobId, JobFailureReason.ImageNotAllowed, "image digest no longer allowed");
    }
    const version = await deps.chain.latestDatasetVersion(job.datasetId);
    if (!version)
      return await failed(deps, jobId, JobFailureReason.Unspecified, "dataset has no committed version");
    let spec: JobSpec;
    try {
      spec = await deps.specs.specFor(job.specCommitment);
    } catch (error) {
      if (isCce4longError(error) && error.code === "UNAVAILABLE") throw error;
      return await failed(
        deps,
        jobId,
        JobFailureReason.Unspecified,
        `job spec unusable: ${messageOf(error)}`,
      );
    }
    if (imageDigestBytes32(spec.image.digest) !== job.imageDigest.toLowerCase()) {
      return await failed(
        deps,
        jobId,
        JobFailureReason.Unspecified,
        "spec names another image than the request",
      );
    }

    const key = await deps.credentialKey();
    let credential: string;
    try {
      ({ credential } = await mintJobCredential({
        privateKey: key.privateKey,
        domain: deps.credentialDomain,
        scope: {
          jobId,
          datasetId: job.datasetId.toLowerCase() as Hex,
          datasetVersion: version.version,
          manifestRoot: version.manifestRoot.toLowerCase() as Hex,
          imageDigest: job.imageDigest.toLowerCase() as Hex,
          specCommitment: job.specCommitment.toLowerCase() as Hex,
        },
        now: deps.now(),
        ttlSeconds: deps.credentialTtlSeconds,
      }));
    } finally {
      key.wipe();
    }

    try {
      const launched = await deps.launcher.launch({
        jobId,
        datasetId: job.datasetId.toLowerCase(),
        credential,
        imageDigest: spec.image.digest,
        machineProfile: deps.machineProfile,
        maxRunSeconds: Math.max(60, spec.resources.timeoutSeconds + deps.vmGraceSeconds),
      });
      launchedRef = launched.instanceRef;
    } catch (error) {
      const code = isCce4longError(error) ? error.code : "INTERNAL";
      if (code === "COMPUTE_ALREADY_LAUNCHED")
        return { outcome: "duplicate", why: "the job's VM already exists" };
      if (isRetryableComputeError(code)) throw error;
      return await failed(deps, jobId, JobFailureReason.LaunchFailed, `launch failed: ${code}`);
    }

    await deps.chain.recordDispatched(jobId, version.version);
    deps.tracker.dispatched(jobId, { instanceRef: launchedRef, spec });
    deps.log("job.dispatched", {
      jobId,
      datasetId: job.datasetId,
      datasetVersion: version.version,
      instanceRef: launchedRef,
      launcher: deps.launcher.kind,
    });
    return { outcome: "dispatched", instanceRef: launchedRef };
  } catch (error) {
    // Transient (chain, object store, compute capacity): undo what this attempt started, try again later.
    if (launchedRef) await deps.launcher.destroy(launchedRef).catch(() => {});
    deps.tracker.unclaim(jobId);
    return { outcome: "retry", why: messageOf(error) };
  }
}

async function failed(
  deps: DispatchDeps,
  jobId: Hex,
  reason: JobFailureReason,
  why: string,
): Promise<DispatchOutcome> {
  await deps.tracker.fail(jobId, reason, why);
  return { outcome: "refused", why };
}

function messageOf(error: unknown): string {
  if (isCce4longError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
