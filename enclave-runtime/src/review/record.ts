/**
 * What the Privacy Plane keeps about one job's output set under review (runs inside the TEE). It
 * holds hashes, rule results and decisions, never output bytes (those stay in the output vault)
 * and never dataset rows. JSON-safe, so a store can write it as it is.
 */
import type { ReviewDecisionKind } from "@cce4long/protocol/api/reviews";
import type { GateReport } from "@cce4long/protocol/gate/report";
import type { Address, Hex } from "viem";
import type { ReviewEvent, ReviewState } from "./states";

export interface RecordedDecision {
  reviewer: Address;
  decision: ReviewDecisionKind;
  reasonHash: Hex;
  outputsCommitment: Hex;
  nonce: string;
  deadline: number;
  signature: Hex;
  /** The EIP-712 digest: the on-chain `decisionHash`. */
  digest: Hex;
  decidedAt: string;
}

export interface HistoryEntry {
  from: ReviewState | null;
  to: ReviewState;
  event: ReviewEvent | "accepted";
  at: string;
  /** The transaction that recorded the step on-chain, when the step has one. */
  txHash?: Hex;
}

export interface ReviewRecord {
  /** The job's id, or an Explore export's id (the chain keeps both in its job records). */
  jobId: Hex;
  datasetId: Hex;
  consumer: Address;
  state: ReviewState;
  /** Bumped on every write: the store's compare-and-set guard. */
  revision: number;
  outputsCommitment: Hex;
  outputs: { path: string; sha256: string; size: number }[];
  measurementId: Hex | null;
  submittedAt: string;
  updatedAt: string;
  gate: (GateReport & { checkedAt: string }) | null;
  decisions: RecordedDecision[];
  /** Set when the timeout policy escalated the set to more reviewers (it stays needs-review). */
  escalatedAt: string | null;
  failure: { reason: number; message: string } | null;
  release: { manifestHash: Hex; releasedAt: string; txHash: Hex | null } | null;
  history: HistoryEntry[];
  /** Set when the item is a file taken out of an Explore session (absent for job outputs). */
  explore?: { sessionId: Hex };
}
