/**
 * A reviewer's decision, signed (runs on the reviewer's machine): the EIP-712 ReviewDecision the
 * Privacy Plane verifies, built by the one shared message function, then sent through the edge API.
 */
import {
  REVIEW_DECISION_TYPES,
  type ReviewDecisionKind,
  type ReviewDecisionRequest,
  reviewDecisionDomain,
  reviewDecisionMessage,
} from "@cce4long/protocol";
import type { Hex, LocalAccount } from "viem";

export async function signReviewDecision(
  reviewer: LocalAccount,
  input: {
    chainId: number;
    hub: Hex;
    jobId: Hex;
    datasetId: Hex;
    outputsCommitment: Hex;
    decision: ReviewDecisionKind;
    reason: string;
    /** Seconds the signature stays valid. */
    validForSeconds?: number;
  },
): Promise<ReviewDecisionRequest> {
  const nonce = BigInt(
    `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex")}`,
  ).toString();
  const deadline = Math.floor(Date.now() / 1000) + (input.validForSeconds ?? 600);
  const message = reviewDecisionMessage({ ...input, reviewer: reviewer.address, nonce, deadline });
  const signature = await reviewer.signTypedData({
    domain: reviewDecisionDomain(input.chainId, input.hub),
    types: REVIEW_DECISION_TYPES,
    primaryType: "ReviewDecision",
    message,
  });
  return {
    decision: input.decision,
    reason: input.reason,
    outputsCommitment: input.outputsCommitment,
    nonce,
    deadline,
    signature,
  };
}
