/**
 * The dispatcher's memory of the jobs it launched (runs inside the TEE): the in-process lock that keeps
 * concurrent duplicate messages from launching twice, the callback deadlines, and the teardown of a job
 * whose VM never called back, failed, or finished. The durable truth is on-chain (job status); with a
 * journal (tracker-journal.ts, in the state folder) the launched jobs, their deadlines and outputs
 * token hashes also survive a restart: restore() re-arms each deadline where it was.
 */
import { JobFailureReason } from "@cce4long/protocol";
import type { JobSpec } from "@cce4long/protocol/jobs/job-spec";
import type { Hex } from "viem";
import type { ComputeLauncher, InstanceRef } from "../compute/launcher";
import type { JobCredentialClaims } from "../credentials/job-credential";
import type { JobChain } from "../jobs/job-chain";
import type { KeyReleaseHooks } from "../key-release/release-key";
import type { TrackedSnapshot, TrackerJournal } from "./tracker-journal";

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
  /** The spec's run-time limit (kept apart from the spec, so a restored job still has it). */
  timeoutSeconds?: number;
  /** Unix ms of the armed deadline, and what it waits for. */
  deadlineAt?: number;
  waitingFor?: TrackedSnapshot["waitingFor"];
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
  /** Where launched jobs are remembered across restarts; this process only if omitted. */
  journal?: TrackerJournal;
  now?: () => number;
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
  readonly #now: () => number;
  /** Journal writes, in call order: a job's removal never overtakes its last save. */
  #journalQueue: Promise<void> = Promise.resolve();

  constructor(options: JobTrackerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Takes back the jobs a previous process launched (from the journal): each deadline runs on from
   * where it was, and one already past fails the job and tears its VM down at once.
   */
  async restore(): Promise<number> {
    const journal = this.#options.journal;
    if (journal === undefined) return 0;
    const snapshots = await journal.load((file, why) =>
      this.#options.log("job.journal-corrupt", { file, why, action: "set aside as .corrupt" }),
    );
    for (const snapshot of snapshots) {
      if (this.get(snapshot.jobId as Hex)) continue;
      this.claim(snapshot.jobId as Hex);
      const job = this.get(snapshot.jobId as Hex)!;
      const { deadlineAt, waitingFor, ...rest } = snapshot;
      Object.assign(job, rest);
      job.markDispatched();
      const remaining = Math.max(0, deadlineAt - this.#now());
      this.#options.log("job.restored", {
        jobId: job.jobId,
        phase: job.phase,
        waitingFor,
        remainingMs: remaining,
      });
      // The entry on disk already says this: no rewrite of every job at start-up.
      this.#arm(job, remaining, waitingFor, { journal: false });
    }
    return snapshots.length;
  }

  /** Resolves when every journal write asked for so far is done (tests, shutdown). */
  settled(): Promise<void> {
    return this.#journalQueue;
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
    Object.assign(job, {
      phase: "dispatched",
      ...details,
      timeoutSeconds: details.spec.resources.timeoutSeconds,
    });
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
    const specSeconds = job.timeoutSeconds ?? job.spec?.resources.timeoutSeconds ?? 3600;
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
    // Forgotten only once the VM is gone: a crash before this leaves the entry, and a restart retries.
    this.#journal(job.jobId, null);
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
    // Forgotten only once the VM is gone and the failure recorded (or tried): a crash before this
    // leaves the entry, and the restarted process fails the job again.
    if (job) this.#journal(job.jobId, null);
  }

  /** Stops every timer (service shutdown). VMs keep their provider-side hard deadline. */
  stop(): void {
    for (const job of this.#jobs.values()) clearTimeout(job.timer);
  }

  #arm(
    job: TrackedJob,
    ms: number,
    waitingFor: TrackedSnapshot["waitingFor"],
    options: { journal: boolean } = { journal: true },
  ): void {
    clearTimeout(job.timer);
    job.deadlineAt = this.#now() + ms;
    job.waitingFor = waitingFor;
    job.timer = setTimeout(() => {
      this.#options.log("job.timed-out", { jobId: job.jobId, waitingFor, afterMs: ms });
      void this.fail(job.jobId, JobFailureReason.Timeout, `no ${waitingFor} within ${ms} ms`);
    }, ms);
    job.timer.unref();
    if (options.journal && (job.phase === "dispatched" || job.phase === "key-released")) {
      this.#journal(job.jobId, {
        jobId: job.jobId,
        phase: job.phase,
        deadlineAt: job.deadlineAt,
        waitingFor,
        ...(job.instanceRef === undefined ? {} : { instanceRef: job.instanceRef }),
        ...(job.timeoutSeconds === undefined ? {} : { timeoutSeconds: job.timeoutSeconds }),
        ...(job.outputsTokenHash === undefined ? {} : { outputsTokenHash: job.outputsTokenHash }),
        ...(job.measurementId === undefined ? {} : { measurementId: job.measurementId }),
        ...(job.claims === undefined ? {} : { claims: job.claims }),
      });
    }
  }

  /**
   * Saves (or with null removes) a job's journal entry after every earlier write. A failed write is
   * logged, not thrown: the job goes on in this process, only its restart would not be covered.
   */
  #journal(jobId: Hex, snapshot: TrackedSnapshot | null): void {
    const journal = this.#options.journal;
    if (journal === undefined) return;
    this.#journalQueue = this.#journalQueue
      .then(() => (snapshot === null ? journal.remove(jobId) : journal.save(snapshot)))
      .catch((error) => this.#options.log("job.journal-write-failed", { jobId, error: messageOf(error) }));
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
