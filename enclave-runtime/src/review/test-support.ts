/**
 * Fakes for the review's unit tests (runs in tests only): a ReviewChain that enforces the hub's job
 * state machine and reviewer lists, a signing key, a consumer key pair, and a ready-wired service.
 */
import { generateKeyPairSync } from "node:crypto";
import { Cce4longError, JobStatus, OutputDecision } from "@cce4long/protocol";
import {
  REVIEW_DECISION_TYPES,
  type ReviewDecisionKind,
  reviewDecisionDomain,
  reviewDecisionMessage,
} from "@cce4long/protocol/api/reviews";
import type { GateReport } from "@cce4long/protocol/gate/report";
import { type Address, bytesToHex, type Hex, hexToBytes, keccak256, stringToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { MemoryObjectStore } from "../ingest/memory-object-store";
import type { OnChainJob } from "../jobs/job-chain";
import type { ReviewStateEvent } from "./events";
import { MemoryOutputVault, type OutputVault } from "./output-vault";
import type { ExploreExportItem, ReviewChain } from "./review-chain";
import { ReviewService } from "./review-service";
import { InMemoryReviewStore, type ReviewStore } from "./review-store";

export const CHAIN_ID = 31337;
export const HUB: Address = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
export const DATASET: Hex = keccak256(stringToBytes("dataset-a"));
export const OTHER_DATASET: Hex = keccak256(stringToBytes("dataset-b"));
export const MEASUREMENT: Hex = keccak256(stringToBytes("measurement"));
export const VERSION_ROOT: Hex = keccak256(stringToBytes("version-root"));

export const reviewerKey = generatePrivateKey();
export const reviewer = privateKeyToAccount(reviewerKey);
export const otherReviewer = privateKeyToAccount(generatePrivateKey());

/** The consumer's X25519 result key pair (raw 32 bytes each). */
export function consumerKeyPair(): { publicKey: Uint8Array; privateKey: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  return {
    publicKey: new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(12)),
    privateKey: new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }).subarray(16)),
  };
}

const LEGAL: Record<string, number[]> = {
  outputs: [JobStatus.KeyReleased, JobStatus.ChangesRequested],
};

export class FakeReviewChain implements ReviewChain {
  readonly jobs = new Map<string, OnChainJob>();
  readonly reviewers = new Map<string, Address[]>([
    [DATASET, [reviewer.address]],
    [OTHER_DATASET, [otherReviewer.address]],
  ]);
  readonly records: string[] = [];
  readonly released = new Map<string, Hex>();
  /** Makes the next call of this record function throw (a simulated chain outage). */
  failNext: string | undefined;
  #tx = 0;

  addJob(jobId: Hex, resultPublicKey: Uint8Array, status: JobStatus = JobStatus.KeyReleased): void {
    this.jobs.set(jobId, {
      jobId,
      consumer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
      status,
      datasetVersion: 1,
      datasetId: DATASET,
      imageDigest: keccak256(stringToBytes("image")),
      specCommitment: keccak256(stringToBytes("spec")),
      resultPublicKey: bytesToHex(resultPublicKey),
    });
  }

  async getJob(jobId: Hex) {
    const job = this.jobs.get(jobId);
    return job === undefined ? undefined : { ...job };
  }
  async jobStatus(jobId: Hex) {
    return (this.jobs.get(jobId)?.status ?? JobStatus.None) as JobStatus;
  }
  async isReviewer(datasetId: Hex, account: Address) {
    return (this.reviewers.get(datasetId.toLowerCase()) ?? []).some(
      (a) => a.toLowerCase() === account.toLowerCase(),
    );
  }
  async datasetVersionRoot() {
    return VERSION_ROOT;
  }
  async keyReleasedMeasurement() {
    return MEASUREMENT;
  }
  async recordOutputsSubmitted(jobId: Hex) {
    return this.#move("recordOutputsSubmitted", jobId, LEGAL.outputs ?? [], JobStatus.OutputsSubmitted);
  }
  /** Open sessions the fake hub knows: `${datasetId}/${sessionId}` -> consumer. */
  readonly openSessions = new Map<string, Address>();

  async recordExploreExportSubmitted(item: ExploreExportItem) {
    const consumer = this.openSessions.get(`${item.datasetId.toLowerCase()}/${item.sessionId.toLowerCase()}`);
    if (consumer === undefined || this.jobs.has(item.exportId)) {
      throw new Cce4longError("CHAIN_REVERTED", "Chain call reverted", {
        detail: { error: consumer === undefined ? "ExploreSessionNotOpen" : "JobsAlreadyRequested" },
      });
    }
    this.jobs.set(item.exportId, {
      jobId: item.exportId,
      consumer,
      status: JobStatus.OutputsSubmitted,
      datasetVersion: item.datasetVersion,
      datasetId: item.datasetId,
      imageDigest: `0x${"00".repeat(32)}`,
      specCommitment: item.sessionId,
      resultPublicKey: item.resultPublicKey,
    });
    this.records.push("recordExploreExportSubmitted");
    return `0x${(++this.#tx).toString(16).padStart(64, "0")}` as Hex;
  }
  async recordOutputDecision(jobId: Hex, decision: number, who: Address) {
    const job = this.jobs.get(jobId);
    if (
      decision >= OutputDecision.ReviewerApproved &&
      !(await this.isReviewer(job?.datasetId ?? "0x", who))
    ) {
      throw new Cce4longError("CHAIN_REVERTED", "Chain call reverted", {
        detail: { error: "JobsNotReviewer" },
      });
    }
    const to = {
      [OutputDecision.AutoApproved]: JobStatus.Approved,
      [OutputDecision.AutoRejected]: JobStatus.Rejected,
      [OutputDecision.NeedsReview]: JobStatus.UnderReview,
      [OutputDecision.ReviewerApproved]: JobStatus.Approved,
      [OutputDecision.ReviewerRejected]: JobStatus.Rejected,
      [OutputDecision.ReviewerChangesRequested]: JobStatus.ChangesRequested,
    }[decision] as JobStatus;
    const from =
      decision <= OutputDecision.NeedsReview ? [JobStatus.OutputsSubmitted] : [JobStatus.UnderReview];
    return this.#move(`recordOutputDecision(${decision})`, jobId, from, to);
  }
  async recordResultReleased(jobId: Hex, hash: Hex) {
    const tx = await this.#move(
      "recordResultReleased",
      jobId,
      [JobStatus.Approved],
      JobStatus.ResultReleased,
    );
    this.released.set(jobId, hash);
    return tx;
  }
  async recordFailed(jobId: Hex, reason: number) {
    const from = [2, 3, 4, 5, 6, 7];
    return this.#move(`recordFailed(${reason})`, jobId, from, JobStatus.Failed);
  }

  #move(name: string, jobId: Hex, from: number[], to: JobStatus): Hex {
    if (this.failNext !== undefined && name.startsWith(this.failNext)) {
      this.failNext = undefined;
      throw new Cce4longError("CHAIN_UNREACHABLE", "Chain unreachable");
    }
    const job = this.jobs.get(jobId);
    if (job === undefined || !from.includes(job.status)) {
      throw new Cce4longError("CHAIN_REVERTED", "Chain call reverted", {
        detail: { error: "JobsIllegalTransition", name, status: job?.status },
      });
    }
    job.status = to;
    this.records.push(name);
    return `0x${(++this.#tx).toString(16).padStart(64, "0")}`;
  }
}

export function report(decision: GateReport["decision"], path = "table.csv"): GateReport {
  const verdict = decision === "auto-approved" ? "pass" : decision === "needs-review" ? "review" : "fail";
  return {
    decision,
    files: [
      {
        path,
        bytes: 10,
        kind: "frequency_table",
        verdict,
        findings:
          verdict === "pass"
            ? []
            : [
                {
                  rule: "disclosure.small_cell",
                  class: "disclosure",
                  verdict: verdict === "review" ? "review" : "fail",
                  message: "small",
                  count: 1,
                  cells: [],
                },
              ],
        suppressedCells: 0,
        withheldColumns: [],
      },
    ],
    setFindings: [],
  };
}

export interface Harness {
  service: ReviewService;
  chain: FakeReviewChain;
  store: ReviewStore;
  objects: MemoryObjectStore;
  vault: OutputVault;
  events: ReviewStateEvent[];
  manifestSigner: Address;
  consumer: { publicKey: Uint8Array; privateKey: Uint8Array };
  clock: { now: Date };
  nextReport: { value: GateReport };
}

export function harness(
  options: {
    store?: ReviewStore;
    vault?: OutputVault;
    timeout?: { afterHours: number; action: "reject" | "escalate" };
  } = {},
): Harness {
  const chain = new FakeReviewChain();
  const store = options.store ?? new InMemoryReviewStore();
  const objects = new MemoryObjectStore();
  const vault = options.vault ?? new MemoryOutputVault();
  const events: ReviewStateEvent[] = [];
  const manifestKey = generatePrivateKey();
  const signer = privateKeyToAccount(manifestKey);
  const clock = { now: new Date("2026-11-21T10:00:00Z") };
  const nextReport = { value: report("auto-approved") };
  const service = new ReviewService({
    chainId: CHAIN_ID,
    hub: HUB,
    store,
    vault,
    chain,
    gate: async () => structuredClone(nextReport.value),
    events: { emit: async (e) => void events.push(e) },
    objectStore: objects,
    manifestKey: async () => {
      const privateKey = hexToBytes(manifestKey);
      return {
        use: "result-manifest",
        version: 1,
        privateKey,
        publicKey: new Uint8Array(65),
        address: signer.address.toLowerCase() as Hex,
        signatureChain: [],
        wipe: () => privateKey.fill(0),
      };
    },
    timeout: options.timeout ?? { afterHours: 24, action: "reject" },
    now: () => clock.now,
    log: () => {},
  });
  return {
    service,
    chain,
    store,
    objects,
    vault,
    events,
    manifestSigner: signer.address,
    consumer: consumerKeyPair(),
    clock,
    nextReport,
  };
}

export const FILES = [{ path: "table.csv", bytes: new TextEncoder().encode("group,count\na,20\nb,30\n") }];

/** A reviewer-signed decision as the edge forwards it. */
export async function signedDecision(input: {
  jobId: Hex;
  outputsCommitment: Hex;
  decision: ReviewDecisionKind;
  reason?: string;
  nonce?: string;
  deadline: number;
  signer?: typeof reviewer;
  datasetId?: Hex;
  chainId?: number;
}) {
  const signer = input.signer ?? reviewer;
  const reason = input.reason ?? "aggregates are safe";
  const fields = {
    jobId: input.jobId,
    datasetId: input.datasetId ?? DATASET,
    outputsCommitment: input.outputsCommitment,
    decision: input.decision,
    reason,
    reviewer: signer.address,
    nonce: input.nonce ?? "42",
    deadline: input.deadline,
  };
  const signature = await signer.signTypedData({
    domain: reviewDecisionDomain(input.chainId ?? CHAIN_ID, HUB),
    types: REVIEW_DECISION_TYPES,
    primaryType: "ReviewDecision",
    message: reviewDecisionMessage(fields),
  });
  return {
    ...fields,
    jobId: fields.jobId.toLowerCase() as Hex,
    datasetId: fields.datasetId.toLowerCase() as Hex,
    decisionCode: { approve: 4, reject: 5, "request-changes": 6 }[input.decision],
    signature,
    chainId: input.chainId ?? CHAIN_ID,
    verifyingContract: HUB,
  };
}
