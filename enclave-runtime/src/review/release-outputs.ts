/**
 * Releases an approved output set exactly once (runs inside the TEE, under the job's review lock):
 * seal each output to the consumer's result key, build and sign the Result Manifest, store both in
 * the results bucket, remember the manifest hash, record "result released" with it on-chain, then
 * move to released. Each step can be retried after a crash without a second, different release:
 * once the hash is remembered it is the only one ever recorded.
 */
import { Cce4longError, isCce4longError, JobFailureReason, JobStatus } from "@cce4long/protocol";
import type { Hex } from "viem";
import { sealOutputs, storeResults } from "../delivery/deliver-results";
import { buildManifestBody } from "../manifest/build-manifest";
import { signManifest } from "../manifest/sign-manifest";
import type { ReviewRecord } from "./record";
import type { ReviewService } from "./review-service";

export async function releaseOutputs(service: ReviewService, jobId: Hex): Promise<ReviewRecord> {
  const { deps } = service;
  let record = await service.requireUnlocked(jobId);
  if (record.state === "released") {
    throw new Cce4longError("CONFLICT", "The result was already released", { detail: { jobId } });
  }
  if (record.state !== "approved" && record.state !== "auto-approved") {
    throw new Cce4longError("JOB_INVALID_STATE", `The output set is ${record.state}, not approved`, {
      detail: { jobId, state: record.state },
    });
  }
  if (record.release === null) {
    let files: Awaited<ReturnType<typeof deps.vault.get>>;
    let lost = "outputs lost before release";
    try {
      files = await deps.vault.get(jobId);
    } catch (error) {
      // A held set that no longer opens (damaged, or sealed under another key root) never will:
      // the job fails instead of every sweep retrying a release that cannot happen.
      if (!isCce4longError(error) || error.code !== "OUTPUT_VAULT_CORRUPT") throw error;
      deps.log("review.vault-corrupt", { jobId, error: error.message });
      files = undefined;
      lost = "the outputs held for review could not be opened";
    }
    if (files === undefined) {
      // Without a state folder outputs live only in memory: after a restart there is nothing to release.
      return service.stepUnlocked(jobId, "failed", {
        chain: {
          expect: JobStatus.Failed,
          send: () => deps.chain.recordFailed(jobId, JobFailureReason.Internal),
        },
        update: (r) => {
          r.failure = { reason: JobFailureReason.Internal, message: lost };
        },
      });
    }
    const job = await deps.chain.getJob(jobId);
    if (job === undefined || record.gate === null) {
      throw new Cce4longError("JOB_INVALID_STATE", "The job cannot be released", { detail: { jobId } });
    }
    const measurementId =
      record.measurementId ?? (await deps.chain.keyReleasedMeasurement(record.datasetId, jobId));
    if (measurementId === undefined) {
      throw new Cce4longError("JOB_INVALID_STATE", "No key release recorded for the job", {
        detail: { jobId },
      });
    }
    const sealed = await sealOutputs({
      jobId,
      datasetId: record.datasetId,
      resultPublicKey: job.resultPublicKey,
      files,
    });
    for (const output of sealed) {
      const listed = record.outputs.find((o) => o.path === output.entry.path);
      if (listed?.sha256 !== output.entry.plaintextSha256) {
        throw new Cce4longError("INTERNAL", "An output changed between the gate and release", {
          detail: { jobId, path: output.entry.path },
        });
      }
    }
    const key = await deps.manifestKey();
    let signed: Awaited<ReturnType<typeof signManifest>>;
    try {
      const body = buildManifestBody({
        chainId: deps.chainId,
        hub: deps.hub,
        job,
        datasetVersionRoot: await deps.chain.datasetVersionRoot(record.datasetId, job.datasetVersion),
        measurementId,
        outputsCommitment: record.outputsCommitment,
        outputs: sealed.map((s) => s.entry),
        gate: record.gate,
        decisions: record.decisions,
        submittedAt: record.submittedAt,
        releasedAt: service.now().toISOString(),
        signer: key.address,
      });
      signed = await signManifest(body, key);
    } finally {
      key.wipe();
    }
    await storeResults(deps.objectStore, signed, sealed);
    record = await service.writeUnlocked(record, (r) => {
      r.release = { manifestHash: signed.manifestHash as Hex, releasedAt: signed.releasedAt, txHash: null };
    });
  }
  const manifestHash = record.release?.manifestHash as Hex;
  const released = await service.stepUnlocked(jobId, "released", {
    chain: {
      expect: JobStatus.ResultReleased,
      send: () => deps.chain.recordResultReleased(jobId, manifestHash),
    },
    data: { resultManifestHash: manifestHash },
  });
  const txHash = released.history.at(-1)?.txHash ?? null;
  return service.writeUnlocked(released, (r) => {
    if (r.release) r.release.txHash = txHash;
  });
}
