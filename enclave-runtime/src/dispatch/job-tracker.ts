/**
 * The dispatcher's memory of the jobs it launched (runs inside the TEE): the in-process lock that keeps
 * concurrent duplicate messages from launching twice, the callback deadlines, and the teardown of a job
 * whose VM never called back, failed, or finished. The durable truth is on-chain (job status); this only
 * covers what happens inside one process lifetime.
 */
import { JobFailureReason } from "@cce4long/protocol";
import type { JobSpec } from "@cce4long/protocol/jobs/job-spec";
import type { Hex } from "viem";
import type { ComputeLauncher, InstanceRef } from "../compute/launcher";
import type { JobCredentialClaims } from "../credentials/job-credential";
import type { JobChain } from "../jobs/job-chain";
import type { KeyReleaseHooks } from "../key-release/release-key";

export type TrackedPhase = "dispatching" | "dispatched" | "key-released" | "finished";

export interface TrackedJob {
  jobId: Hex;
  phase: TrackedPhase;
  instanceRef?: InstanceRef;
  spec?: JobSpec;
  claims?: JobCredentialClaims;
  outputsTokenHash?: Hex;
  measurementId?: Hex;
  dispatched: Promise<void>;
  markDispatched(): void;
  timer?: NodeJS.Timeout;
}

export interface JobTrackerOptions {
  chain: Pick<JobChain, "recordFailed">;
  launcher: Pick<ComputeLauncher, "destroy">;
  log(event: string, fields: Record<string, unknown>): void;
  /** How long a launched VM has to ask for its key. */
  keyReleaseTimeoutMs: number;
  /** Added to the spec's own timeout for booting, mounting and sending outputs. */
  jobGraceMs: number;
  /** How long key release waits for an in-flight dispatch record. */
  dispatchWaitMs?: number;
}

/** Refusals after attestation that are the job's failure, with the on-chain reason they become. */
const FAILURE_OF_DENIAL: Record<string, JobFailureReason> = {
  MEASUREMENT_NOT_ALLOWED: JobFailureReason.KeyReleaseDenied,
  JOB_MISMATCH: JobFailureReason.KeyReleaseDenied,
  KEY_VERSION_REFUSED: JobFailureReason.KeyReleaseDenied,
  RECORD_REFUSED: JobFailureReason.KeyReleaseDenied,
  // The credential's version manifest could not be read or verified: nothing the job can be given.
  DATASET_VERSION_UNAVAILABLE: JobFailureReason.Internal,
  RENTAL_INACTIVE: JobFailureReason.RentalExpired,
  IMAGE_NOT_ALLOWED: JobFailureReason.ImageNotAllowed,
};

export class JobTracker implements KeyReleaseHooks {
  readonly #jobs = new Map<Hex, TrackedJob>();
  readonly #options: JobTrackerOptions;

  constructor(options: JobTrackerOptions) {
    this.#options = options;
  }

  /** Takes the in-process lock of a job; false if this process already handles it. */
  claim(jobId: Hex): boolean {
    const key = jobId.toLowerCase() as Hex;
    if (this.#jobs.has(key)) return false;
    let markDispatched = () => {};
    const dispatched = new Promise<void>((resolve) => {
      markDispatched = resolve;
    });
    this.#jobs.set(key, { jobId: key, phase: "dispatching", dispatched, markDispatched });
    return true;
  }

  /** Drops the lock of a job whose dispatch did not happen (so a redelivery may try again). */
  unclaim(jobId: Hex): void {
    const job = this.get(jobId);
    if (job?.phase !== "dispatching") return;
    job.markDispatched();
    this.#jobs.delete(job.jobId);
  }

  get(jobId: Hex): TrackedJob | undefined {
    return this.#jobs.get(jobId.toLowerCase() as Hex);
  }

  /** The VM is up and the dispatch is on-chain: start waiting for its key request. */
  dispatched(jobId: Hex, details: { instanceRef: InstanceRef; spec: JobSpec }): void {
    const job = this.get(jobId);
    if (!job) return;
    Object.assign(job, { phase: "dispatched", ...details });
    job.markDispatched();
    this.#arm(job, this.#options.keyReleaseTimeoutMs, "key release");
  }

  async whenDispatched(jobId: Hex): Promise<void> {
    const job = this.get(jobId);
    if (job?.phase !== "dispatching") return;
    const wait = this.#options.dispatchWaitMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      job.dispatched,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, wait);
      }),
    ]);
    clearTimeout(timer);
  }

  keyReleased(
    jobId: Hex,
    release: { outputsTokenHash: Hex; measurementId: Hex; claims: JobCredentialClaims },
  ): void {
    // Released by a process that did not dispatch it (e.g. after a restart): track it from here.
    if (!this.get(jobId)) this.claim(jobId);
    const job = this.get(jobId)!;
    Object.assign(job, { phase: "key-released", ...release });
    job.markDispatched();
    const specSeconds = job.spec?.resources.timeoutSeconds ?? 3600;
    this.#arm(job, specSeconds * 1000 + this.#options.jobGraceMs, "outputs");
  }

  refusedAfterAttestation(jobId: Hex, reason: string): void {
    const failure = FAILURE_OF_DENIAL[reason];
    if (failure === undefined) return;
    void this.fail(jobId, failure, `key release refused: ${reason}`);
  }

  /** The VM reported (outputs or its own failure): it is done, tear it down. */
  async finish(jobId: Hex): Promise<void> {
    const job = this.get(jobId);
    if (!job) return;
    clearTimeout(job.timer);
    job.phase = "finished";
    await this.#destroy(job);
  }

  /** Tears the job down and records its failure on-chain (best effort; logged, never thrown). */
  async fail(jobId: Hex, reason: JobFailureReason, why: string): Promise<void> {
    const job = this.get(jobId);
    if (job) {
      clearTimeout(job.timer);
      job.phase = "finished";
      job.markDispatched();
      await this.#destroy(job);
    }
    try {
      await this.#options.chain.recordFailed(jobId, reason);
      this.#options.log("job.failed", { jobId, reason, why });
    } catch (error) {
      this.#options.log("job.fail-record-failed", { jobId, reason, why, error: messageOf(error) });
    }
  }

  /** Stops every timer (service shutdown). VMs keep their provider-side hard deadline. */
  stop(): void {
    for (const job of this.#jobs.values()) clearTimeout(job.timer);
  }

  #arm(job: TrackedJob, ms: number, waitingFor: string): void {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => {
      this.#options.log("job.timed-out", { jobId: job.jobId, waitingFor, afterMs: ms });
      void this.fail(job.jobId, JobFailureReason.Timeout, `no ${waitingFor} within ${ms} ms`);
    }, ms);
    job.timer.unref();
  }

  async #destroy(job: TrackedJob): Promise<void> {
    if (!job.instanceRef) return;
    try {
      await this.#options.launcher.destroy(job.instanceRef);
      this.#options.log("job.vm-destroyed", { jobId: job.jobId, instanceRef: job.instanceRef });
    } catch (error) {
      this.#options.log("job.vm-destroy-failed", { jobId: job.jobId, error: messageOf(error) });
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
