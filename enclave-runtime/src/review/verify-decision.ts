/**
 * Checks a reviewer's signed decision before it may change anything (runs inside the TEE), as a
 * straight chain: domain, job and output set, reason, deadline, EIP-712 signature, the chain naming
 * the signer a reviewer of this job's dataset, and last the single-use nonce. The edge API checks
 * most of this too; this is the check that counts. Callers learn little; the log learns the step.
 */
import { Cce4longError } from "@cce4long/protocol";
import {
  type ForwardedReviewDecision,
  REVIEW_DECISION_CODES,
  REVIEW_DECISION_TYPES,
  reviewDecisionDomain,
  reviewDecisionMessage,
} from "@cce4long/protocol/api/reviews";
import { type Address, type Hex, hashTypedData, isAddressEqual, recoverTypedDataAddress } from "viem";
import type { RecordedDecision, ReviewRecord } from "./record";
import type { ReviewChain } from "./review-chain";
import type { ReviewStore } from "./review-store";

/** A deadline further out than this is refused: it bounds how long a stolen signature stays useful. */
export const MAX_DEADLINE_SECONDS = 7 * 24 * 3600;

export interface DecisionContext {
  chainId: number;
  hub: Address;
  now: Date;
  chain: Pick<ReviewChain, "isReviewer">;
  store: Pick<ReviewStore, "useNonce">;
}

export async function verifyDecision(
  decision: ForwardedReviewDecision,
  record: ReviewRecord,
  context: DecisionContext,
): Promise<RecordedDecision> {
  const refuse = (
    problem: string,
    code: "AUTH_FORBIDDEN" | "CONFLICT" | "VALIDATION_FAILED" = "AUTH_FORBIDDEN",
  ) =>
    new Cce4longError(code, messageFor(code, problem), {
      detail: { jobId: record.jobId, reviewer: decision.reviewer, problem },
    });
  if (
    decision.chainId !== context.chainId ||
    !isAddressEqual(decision.verifyingContract as Hex, context.hub)
  ) {
    throw refuse("signed for another chain or hub");
  }
  if (decision.jobId !== record.jobId || decision.datasetId !== record.datasetId) {
    throw refuse("names another job or dataset");
  }
  if (decision.reason.trim().length === 0) throw refuse("a decision needs a reason", "VALIDATION_FAILED");
  if (decision.decisionCode !== REVIEW_DECISION_CODES[decision.decision]) {
    throw refuse("decision code does not match the decision", "VALIDATION_FAILED");
  }
  if (decision.outputsCommitment !== record.outputsCommitment) {
    throw refuse("decides another output set than the one under review", "CONFLICT");
  }
  const nowSeconds = Math.floor(context.now.getTime() / 1000);
  if (decision.deadline <= nowSeconds) throw refuse("signature expired");
  if (decision.deadline > nowSeconds + MAX_DEADLINE_SECONDS) throw refuse("deadline too far in the future");

  const reviewer = decision.reviewer as Address;
  const typedData = {
    domain: reviewDecisionDomain(context.chainId, context.hub),
    types: REVIEW_DECISION_TYPES,
    primaryType: "ReviewDecision",
    message: reviewDecisionMessage({ ...decision, reviewer }),
  } as const;
  const recovered = await recoverTypedDataAddress({
    ...typedData,
    signature: decision.signature as Hex,
  }).catch(() => undefined);
  if (recovered === undefined || !isAddressEqual(recovered, reviewer))
    throw refuse("not signed by the reviewer");
  if (!(await context.chain.isReviewer(record.datasetId, reviewer))) {
    throw refuse("not a reviewer of this job's dataset on-chain");
  }
  if (!(await context.store.useNonce(reviewer, decision.nonce))) throw refuse("nonce already used (replay)");
  return {
    reviewer,
    decision: decision.decision,
    reasonHash: typedData.message.reasonHash,
    outputsCommitment: record.outputsCommitment,
    nonce: decision.nonce,
    deadline: decision.deadline,
    signature: decision.signature.toLowerCase() as Hex,
    digest: hashTypedData(typedData),
    decidedAt: context.now.toISOString(),
  };
}

function messageFor(code: string, problem: string): string {
  if (code === "AUTH_FORBIDDEN") return "The decision is not accepted";
  return `The decision is not accepted: ${problem}`;
}
