/**
 * The review of job outputs (runs inside the TEE): takes an output set, runs the gate, routes it to
 * reviewers or decides it, verifies reviewer decisions, releases approved sets and applies the
 * timeout policy. Every change goes through step(): a legal transition (states.ts), the matching
 * on-chain record (skipped when the chain already shows it, so a retry after a crash is safe), a
 * compare-and-set write, and the webhook events. One job's steps never interleave. Files a consumer
 * takes out of an Explore session that the gate holds for review enter here too (acceptExploreExport):
 * the same records, reviewers, decisions and release, under the export's id.
 */
import { Cce4longError, JobFailureReason, JobStatus, OutputDecision } from "@cce4long/protocol";
import type { ForwardedReviewDecision } from "@cce4long/protocol/api/reviews";
import type { GateReport } from "@cce4long/protocol/gate/report";
import { canonicalJson } from "@cce4long/protocol/jobs/canonical-json";
import type { DeclaredOutput } from "@cce4long/protocol/jobs/declared-outputs";
import { outputsCommitment as commitmentOf } from "@cce4long/protocol/jobs/output-bundle";
import { NO_MEASUREMENT as NO_EXPORT_MEASUREMENT } from "@cce4long/protocol/manifest/verify-on-chain";
import type { EthereumSigningKey } from "@cce4long/sealing/keys/types";
import { type Address, type Hex, isAddressEqual, keccak256, stringToBytes, zeroAddress } from "viem";
import { sha256 } from "../delivery/deliver-results";
import type { ObjectStore } from "../ingest/object-store";
import { type EventSink, webhookTypesFor } from "./events";
import type { GateRunner } from "./gate-runner";
import type { OutputVault, VaultFile } from "./output-vault";
import type { ReviewRecord } from "./record";
import { releaseOutputs } from "./release-outputs";
import type { ExploreExportItem, ReviewChain } from "./review-chain";
import type { ReviewStore } from "./review-store";
import { isFinal, type ReviewEvent, transition } from "./states";
import { type TimeoutPolicy, timeoutAction } from "./timeout-policy";
import { verifyDecision } from "./verify-decision";

export interface ReviewServiceDeps {
  chainId: number;
  hub: Address;
  store: ReviewStore;
  vault: OutputVault;
  chain: ReviewChain;
  gate: GateRunner;
  events: EventSink;
  objectStore: ObjectStore;
  /** The "result-manifest" signing key (fetched per release, wiped after). */
  manifestKey(): Promise<EthereumSigningKey>;
  timeout: TimeoutPolicy;
  now?: () => Date;
  log(event: string, fields: Record<string, unknown>): void;
}

/** An output set as the job-output route hands it over (enclave-runtime/src/jobs/output-inbox.ts). */
export interface SubmittedOutputs {
  jobId: Hex;
  measurementId?: Hex;
  declared: readonly DeclaredOutput[];
  files: readonly { path: string; bytes: Uint8Array }[];
}

/** An Explore export the gate (explore-sessions.ts) sent to review, with the report it already made. */
export interface SubmittedExploreExport {
  item: ExploreExportItem;
  /** The session's consumer (the hub takes it from the session; both must agree). */
  consumer: Address;
  declared: DeclaredOutput;
  file: { path: string; bytes: Uint8Array };
  report: GateReport;
}

/** No VM ran an Explore export: its manifest names no measurement (verify-on-chain.ts checks the export record). */
export const NO_MEASUREMENT = NO_EXPORT_MEASUREMENT as Hex;

interface StepOptions {
  chain?: { expect: JobStatus; send: () => Promise<Hex> };
  update?: (record: ReviewRecord) => void;
  data?: Record<string, unknown>;
}

const GATE_EVENTS = {
  "auto-approved": {
    event: "gate-auto-approved",
    code: OutputDecision.AutoApproved,
    expect: JobStatus.Approved,
  },
  "needs-review": {
    event: "gate-needs-review",
    code: OutputDecision.NeedsReview,
    expect: JobStatus.UnderReview,
  },
  "rejected-by-rules": {
    event: "gate-rejected",
    code: OutputDecision.AutoRejected,
    expect: JobStatus.Rejected,
  },
} as const;

const DECISION_EVENTS = {
  approve: { event: "reviewer-approved", code: OutputDecision.ReviewerApproved, expect: JobStatus.Approved },
  reject: { event: "reviewer-rejected", code: OutputDecision.ReviewerRejected, expect: JobStatus.Rejected },
  "request-changes": {
    event: "reviewer-requested-changes",
    code: OutputDecision.ReviewerChangesRequested,
    expect: JobStatus.ChangesRequested,
  },
} as const;

export class ReviewService {
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly now: () => Date;

  constructor(readonly deps: ReviewServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Takes an output set, checks it and (auto-approved) releases it. Resolves with the final record. */
  async accept(outputs: SubmittedOutputs): Promise<ReviewRecord> {
    const jobId = outputs.jobId.toLowerCase() as Hex;
    const files = outputs.files.map((f) => ({ path: f.path, bytes: f.bytes }));
    const listed = files.map((f) => ({ path: f.path, sha256: sha256(f.bytes), size: f.bytes.length }));
    const commitment = commitmentOf(jobId, listed);
    const accepted = await this.#locked(jobId, async () => {
      const existing = await this.deps.store.get(jobId);
      if (existing && existing.outputsCommitment === commitment) return { record: existing, fresh: false };
      if (existing && existing.state !== "changes-requested") {
        throw new Cce4longError("JOB_INVALID_STATE", "Outputs were already submitted for this job", {
          detail: { jobId, state: existing.state },
        });
      }
      const job = await this.deps.chain.getJob(jobId);
      if (job === undefined) throw new Cce4longError("JOB_NOT_FOUND", "Job not found", { detail: { jobId } });
      const status = await this.deps.chain.jobStatus(jobId);
      let txHash: Hex | undefined;
      if (status === JobStatus.KeyReleased || status === JobStatus.ChangesRequested) {
        txHash = await this.deps.chain.recordOutputsSubmitted(jobId, commitment);
      } else if (status !== JobStatus.OutputsSubmitted) {
        throw new Cce4longError("JOB_INVALID_STATE", "The job is not waiting for outputs", {
          detail: { jobId, status },
        });
      }
      const at = this.now().toISOString();
      const record: ReviewRecord = {
        ...(existing ?? emptyRecord(jobId)),
        datasetId: job.datasetId.toLowerCase() as Hex,
        consumer: job.consumer,
        state: "submitted",
        revision: (existing?.revision ?? 0) + 1,
        outputsCommitment: commitment,
        outputs: listed,
        measurementId:
          (outputs.measurementId?.toLowerCase() as Hex | undefined) ?? existing?.measurementId ?? null,
        submittedAt: at,
        updatedAt: at,
        gate: null,
        escalatedAt: null,
        history: [
          ...(existing?.history ?? []),
          {
            from: existing?.state ?? null,
            to: "submitted",
            event: existing ? "resubmitted" : "accepted",
            at,
            ...(txHash ? { txHash } : {}),
          },
        ],
      };
      // Held before the record names them: a record in "submitted" always has its outputs.
      await this.deps.vault.put(jobId, files);
      if (!(await this.deps.store.compareAndSet(jobId, existing?.revision ?? 0, record))) {
        await this.deps.vault.wipe(jobId);
        throw new Cce4longError("CONFLICT", "The review changed meanwhile; try again");
      }
      await this.#emit(record, existing?.state ?? null, existing ? "resubmitted" : "accepted", {});
      return { record, fresh: true };
    });
    if (!accepted.fresh) return accepted.record;
    return this.#check(accepted.record, outputs.declared);
  }

  /**
   * Opens the review item of an Explore export the gate sent to review: records it on-chain (the hub
   * checks the session is open and takes its consumer), then the same steps as job outputs with the
   * gate's report as it stands. Resolves with the record in needs-review (or rejected, failed).
   */
  async acceptExploreExport(submitted: SubmittedExploreExport): Promise<ReviewRecord> {
    const { item, report } = submitted;
    const jobId = item.exportId.toLowerCase() as Hex;
    if (report.decision !== "needs-review") {
      throw new Cce4longError("VALIDATION_FAILED", "Only exports the gate holds for review are queued");
    }
    const files = [{ path: submitted.file.path, bytes: submitted.file.bytes }];
    const listed = files.map((f) => ({ path: f.path, sha256: sha256(f.bytes), size: f.bytes.length }));
    const commitment = commitmentOf(jobId, listed);
    const record = await this.#locked(jobId, async () => {
      if (
        (await this.deps.store.get(jobId)) !== undefined ||
        (await this.deps.chain.jobStatus(jobId)) !== JobStatus.None
      ) {
        throw new Cce4longError("CONFLICT", "An export with this id exists already", { detail: { jobId } });
      }
      // The record is stored before the hub is asked, so an on-chain item never lacks its local record.
      const at = this.now().toISOString();
      const fresh: ReviewRecord = {
        ...emptyRecord(jobId),
        datasetId: item.datasetId.toLowerCase() as Hex,
        consumer: submitted.consumer,
        revision: 1,
        outputsCommitment: commitment,
        outputs: listed,
        measurementId: NO_MEASUREMENT,
        submittedAt: at,
        updatedAt: at,
        history: [{ from: null, to: "submitted", event: "accepted", at }],
        explore: { sessionId: item.sessionId.toLowerCase() as Hex },
      };
      await this.deps.vault.put(jobId, files);
      if (!(await this.deps.store.compareAndSet(jobId, 0, fresh))) {
        await this.deps.vault.wipe(jobId);
        throw new Cce4longError("CONFLICT", "The review changed meanwhile; try again");
      }
      let txHash: Hex;
      try {
        txHash = await this.deps.chain.recordExploreExportSubmitted({ ...item, exportId: jobId }, commitment);
        const job = await this.deps.chain.getJob(jobId);
        if (job === undefined || !isAddressEqual(job.consumer, submitted.consumer)) {
          throw new Cce4longError("CHAIN_REVERTED", "The hub recorded the export for another consumer");
        }
      } catch (error) {
        // Nothing is queued: end the local record, and the on-chain item too if the hub opened one.
        const opened =
          (await this.deps.chain.jobStatus(jobId).catch(() => JobStatus.None)) !== JobStatus.None;
        await this.#stepUnlocked(jobId, "failed", {
          ...(opened
            ? {
                chain: {
                  expect: JobStatus.Failed,
                  send: () => this.deps.chain.recordFailed(jobId, JobFailureReason.Internal),
                },
              }
            : {}),
          update: (r) => {
            r.failure = { reason: JobFailureReason.Internal, message: "the hub did not record the export" };
          },
        });
        throw error;
      }
      const recorded = await this.writeUnlocked(fresh, (r) => {
        r.history[0] = { ...r.history[0]!, txHash };
      });
      await this.#emit(recorded, null, "accepted", {});
      return recorded;
    });
    return this.#check(record, [submitted.declared], report);
  }

  async #check(
    record: ReviewRecord,
    declared: readonly DeclaredOutput[],
    preChecked?: GateReport,
  ): Promise<ReviewRecord> {
    const { jobId } = record;
    await this.step(jobId, "check-started");
    let report: GateReport;
    try {
      // An Explore export arrives checked: the gate already ran on the session's dataset version.
      report =
        preChecked ??
        (await this.deps.gate({
          jobId,
          datasetId: record.datasetId,
          datasetVersion: (await this.deps.chain.getJob(jobId))?.datasetVersion ?? 0,
          files: (await this.deps.vault.get(jobId)) ?? [],
          declared,
        }));
    } catch (error) {
      this.deps.log("review.gate-failed", {
        jobId,
        error: error instanceof Error ? error.message : String(error),
      });
      return this.fail(jobId, JobFailureReason.Internal, "the gate could not check the outputs");
    }
    const { event, code, expect } = GATE_EVENTS[report.decision];
    const decisionHash = keccak256(stringToBytes(canonicalJson(report)));
    const checked = await this.step(jobId, event, {
      chain: {
        expect,
        send: () => this.deps.chain.recordOutputDecision(jobId, code, zeroAddress, decisionHash),
      },
      update: (r) => {
        r.gate = { ...report, checkedAt: this.now().toISOString() };
      },
      data: { gateDecision: report.decision },
    });
    return checked.state === "auto-approved" ? this.release(jobId) : checked;
  }

  /** A reviewer's decision as the edge forwards it. Approval releases at once. */
  async decide(decision: ForwardedReviewDecision): Promise<ReviewRecord> {
    const jobId = decision.jobId.toLowerCase() as Hex;
    const decided = await this.#locked(jobId, async () => {
      const record = await this.#require(jobId);
      if (record.state !== "needs-review") {
        throw new Cce4longError(
          "JOB_INVALID_STATE",
          `The output set is ${record.state}, not waiting for a review`,
          {
            detail: { jobId, state: record.state },
          },
        );
      }
      if (record.explore !== undefined && decision.decision === "request-changes") {
        // Nothing can resubmit an export: the consumer exports a corrected file as a new one.
        throw new Cce4longError("VALIDATION_FAILED", "An Explore export is approved or rejected", {
          detail: { jobId },
        });
      }
      const recorded = await verifyDecision(decision, record, {
        chainId: this.deps.chainId,
        hub: this.deps.hub,
        now: this.now(),
        chain: this.deps.chain,
        store: this.deps.store,
      });
      const { event, code, expect } = DECISION_EVENTS[recorded.decision];
      return this.#stepUnlocked(jobId, event, {
        chain: {
          expect,
          send: () => this.deps.chain.recordOutputDecision(jobId, code, recorded.reviewer, recorded.digest),
        },
        update: (r) => {
          r.decisions.push(recorded);
        },
        data: { reviewer: recorded.reviewer, decision: recorded.decision },
      });
    });
    return decided.state === "approved" ? this.release(jobId) : decided;
  }

  /** Releases an approved set once; a second call finds it released and is refused. */
  release(jobId: Hex): Promise<ReviewRecord> {
    return this.#locked(jobId, () => releaseOutputs(this, jobId));
  }

  /** Ends the job (recorded on-chain as failed with `reason`). */
  fail(jobId: Hex, reason: JobFailureReason, message: string): Promise<ReviewRecord> {
    return this.step(jobId, "failed", {
      chain: { expect: JobStatus.Failed, send: () => this.deps.chain.recordFailed(jobId, reason) },
      update: (r) => {
        r.failure = { reason, message };
      },
      data: { reason },
    });
  }

  /** Applies the timeout policy and retries releases that did not finish. */
  async sweep(): Promise<void> {
    const now = this.now();
    for (const record of await this.deps.store.list()) {
      try {
        const action = timeoutAction(record, this.deps.timeout, now);
        if (action === "reject") {
          await this.step(record.jobId, "timed-out", {
            chain: {
              expect: JobStatus.Failed,
              send: () => this.deps.chain.recordFailed(record.jobId, JobFailureReason.ReviewTimedOut),
            },
            update: (r) => {
              r.failure = { reason: JobFailureReason.ReviewTimedOut, message: "review timed out" };
            },
            data: { reason: "review-timed-out" },
          });
        } else if (action === "escalate") {
          await this.#escalate(record.jobId);
        } else if (record.state === "approved" || record.state === "auto-approved") {
          await this.release(record.jobId);
        }
      } catch (error) {
        this.deps.log("review.sweep-failed", { jobId: record.jobId, error: (error as Error).message });
      }
    }
    // Held sets no record needs any more (a crash between the final step and its wipe, or a refused
    // write): wiped under the job's lock, which accept() holds from its put to its record write.
    for (const jobId of await this.deps.vault.list()) {
      await this.#locked(jobId, async () => {
        const record = await this.deps.store.get(jobId);
        if (record !== undefined && !isFinal(record.state)) return;
        await this.deps.vault.wipe(jobId);
        this.deps.log("review.vault-orphan-wiped", { jobId, state: record?.state ?? null });
      }).catch((error: unknown) =>
        this.deps.log("review.sweep-failed", { jobId, error: (error as Error).message }),
      );
    }
  }

  async queue(datasetId: string): Promise<ReviewRecord[]> {
    const id = datasetId.toLowerCase();
    return (await this.deps.store.list())
      .filter((r) => r.datasetId === id && r.state === "needs-review")
      .sort((a, b) => (a.submittedAt < b.submittedAt ? -1 : 1));
  }

  get(jobId: string): Promise<ReviewRecord | undefined> {
    return this.deps.store.get(jobId.toLowerCase());
  }

  outputs(jobId: string): Promise<readonly VaultFile[] | undefined> {
    return this.deps.vault.get(jobId);
  }

  step(jobId: Hex, event: ReviewEvent, options: StepOptions = {}): Promise<ReviewRecord> {
    return this.#locked(jobId, () => this.#stepUnlocked(jobId, event, options));
  }

  /** For release-outputs.ts, which already holds the job's lock. */
  async stepUnlocked(jobId: Hex, event: ReviewEvent, options: StepOptions = {}): Promise<ReviewRecord> {
    return this.#stepUnlocked(jobId, event, options);
  }

  /** Writes a record change that is not a transition (release in progress, escalation). */
  async writeUnlocked(record: ReviewRecord, change: (r: ReviewRecord) => void): Promise<ReviewRecord> {
    const next = structuredClone(record);
    change(next);
    next.revision = record.revision + 1;
    next.updatedAt = this.now().toISOString();
    if (!(await this.deps.store.compareAndSet(record.jobId, record.revision, next))) {
      throw new Cce4longError("CONFLICT", "The review changed meanwhile; try again");
    }
    return next;
  }

  async requireUnlocked(jobId: Hex): Promise<ReviewRecord> {
    return this.#require(jobId);
  }

  async #stepUnlocked(jobId: Hex, event: ReviewEvent, options: StepOptions): Promise<ReviewRecord> {
    const record = await this.#require(jobId);
    const moved = transition(record.state, event);
    if (!moved.ok) {
      throw new Cce4longError("JOB_INVALID_STATE", `Not allowed: ${moved.reason}`, {
        detail: { jobId, event },
      });
    }
    let txHash: Hex | undefined;
    if (options.chain !== undefined && (await this.deps.chain.jobStatus(jobId)) !== options.chain.expect) {
      txHash = await options.chain.send();
    }
    const at = this.now().toISOString();
    const next = await this.writeUnlocked(record, (r) => {
      options.update?.(r);
      r.state = moved.next;
      r.history.push({ from: record.state, to: moved.next, event, at, ...(txHash ? { txHash } : {}) });
    });
    this.deps.log("review.transition", { jobId, from: record.state, to: next.state, event, txHash });
    if (isFinal(next.state)) await this.deps.vault.wipe(jobId);
    await this.#emit(next, record.state, event, options.data ?? {});
    return next;
  }

  async #escalate(jobId: Hex): Promise<void> {
    await this.#locked(jobId, async () => {
      const record = await this.#require(jobId);
      if (record.state !== "needs-review" || record.escalatedAt !== null) return;
      const next = await this.writeUnlocked(record, (r) => {
        r.escalatedAt = this.now().toISOString();
      });
      await this.deps.events.emit({
        type: "review.requested",
        jobId,
        datasetId: next.datasetId,
        consumer: next.consumer,
        state: next.state,
        previous: next.state,
        occurredAt: next.updatedAt,
        sequence: next.revision,
        data: { escalated: true },
      });
    });
  }

  async #emit(
    record: ReviewRecord,
    previous: ReviewRecord["state"] | null,
    event: ReviewEvent | "accepted",
    data: Record<string, unknown>,
  ) {
    for (const type of webhookTypesFor(record.state, event)) {
      await this.deps.events
        .emit({
          type,
          jobId: record.jobId,
          datasetId: record.datasetId,
          consumer: record.consumer,
          state: record.state,
          previous,
          occurredAt: record.updatedAt,
          sequence: record.revision,
          data,
        })
        .catch(() => {});
    }
  }

  async #require(jobId: Hex): Promise<ReviewRecord> {
    const record = await this.deps.store.get(jobId);
    if (record === undefined)
      throw new Cce4longError("JOB_NOT_FOUND", "No output set for this job", { detail: { jobId } });
    return record;
  }

  /** Serializes everything done to one job in this process. */
  #locked<T>(jobId: string, run: () => Promise<T>): Promise<T> {
    const key = jobId.toLowerCase();
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => {});
    this.#locks.set(key, settled);
    void settled.then(() => {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    });
    return next;
  }
}

function emptyRecord(jobId: Hex): ReviewRecord {
  return {
    jobId,
    datasetId: jobId,
    consumer: zeroAddress,
    state: "submitted",
    revision: 0,
    outputsCommitment: jobId,
    outputs: [],
    measurementId: null,
    submittedAt: "",
    updatedAt: "",
    gate: null,
    decisions: [],
    escalatedAt: null,
    failure: null,
    release: null,
    history: [],
  };
}
