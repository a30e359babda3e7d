/**
 * Output reviews through the edge API (runs anywhere): the reviewer's queue and signed decisions,
 * which the edge forwards to the Privacy Plane (it owns the gate's state). Also the forward contract:
 * the Privacy Plane endpoints the edge calls and the EIP-712 type reviewers sign.
 */
import { keccak256, stringToBytes } from "viem";
import { z } from "zod";
import { OutputDecision } from "../chain/lifecycle";
import { AddressSchema, Bytes32Schema, DatasetIdSchema, SignatureSchema, TimestampSchema } from "./common";
import { JobIdSchema } from "./jobs";

export const REVIEW_DECISIONS = ["approve", "reject", "request-changes"] as const;
export const ReviewDecisionKindSchema = z.enum(REVIEW_DECISIONS);
export type ReviewDecisionKind = z.infer<typeof ReviewDecisionKindSchema>;

/** The on-chain `OutputDecision` each reviewer decision records. */
export const REVIEW_DECISION_CODES = {
  approve: OutputDecision.ReviewerApproved,
  reject: OutputDecision.ReviewerRejected,
  "request-changes": OutputDecision.ReviewerChangesRequested,
} as const satisfies Record<ReviewDecisionKind, number>;

/**
 * EIP-712 typed data of a reviewer's decision. Binding the outputs commitment means a signature
 * decides exactly one submitted output set: after changes are requested and new outputs arrive, an
 * old "approve" cannot be replayed against them. The reason is bound by its keccak256 (`reasonHash`,
 * the on-chain `decisionHash` is the EIP-712 digest); `nonce` (single-use per reviewer) and
 * `deadline` (unix seconds) make a captured signature useless once used or expired.
 */
export const REVIEW_DECISION_TYPES = {
  ReviewDecision: [
    { name: "jobId", type: "bytes32" },
    { name: "datasetId", type: "bytes32" },
    { name: "outputsCommitment", type: "bytes32" },
    { name: "decision", type: "uint8" },
    { name: "reasonHash", type: "bytes32" },
    { name: "reviewer", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint64" },
  ],
} as const;

export function reviewDecisionDomain(chainId: number, hub: `0x${string}`) {
  return { name: "cce4long", version: "1", chainId, verifyingContract: hub } as const;
}

/** keccak256 of the reason's UTF-8 bytes: what the signature and the Result Manifest carry. */
export function reviewReasonHash(reason: string): `0x${string}` {
  return keccak256(stringToBytes(reason));
}

/** The EIP-712 message of a decision (signer and verifier build it with this one function). */
export function reviewDecisionMessage(input: {
  jobId: string;
  datasetId: string;
  outputsCommitment: string;
  decision: ReviewDecisionKind;
  reason: string;
  reviewer: string;
  nonce: string | bigint;
  deadline: number;
}) {
  return {
    jobId: input.jobId.toLowerCase() as `0x${string}`,
    datasetId: input.datasetId.toLowerCase() as `0x${string}`,
    outputsCommitment: input.outputsCommitment.toLowerCase() as `0x${string}`,
    decision: REVIEW_DECISION_CODES[input.decision],
    reasonHash: reviewReasonHash(input.reason),
    reviewer: input.reviewer as `0x${string}`,
    nonce: BigInt(input.nonce),
    deadline: BigInt(input.deadline),
  } as const;
}

/** A decision's nonce: a uint256 in decimal (reviewers pick 32 random bytes). */
export const ReviewNonceSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, "must be a uint256 in decimal")
  .refine((v) => BigInt(v) < 2n ** 256n, "must be below 2^256");
/** A decision's deadline: unix seconds after which the signature is refused. */
export const ReviewDeadlineSchema = z
  .number()
  .int()
  .positive()
  .max(2 ** 53 - 1);

export const ReviewQueueQuerySchema = z.object({
  datasetId: DatasetIdSchema.meta({ description: "The dataset the caller reviews (its token's dataset)" }),
});

/** One output set waiting for a decision, as the Privacy Plane describes it (extra fields pass through). */
export const ReviewQueueItemSchema = z.looseObject({
  jobId: JobIdSchema,
  outputsCommitment: Bytes32Schema,
  submittedAt: TimestampSchema,
});

export const ReviewQueueResponseSchema = z.object({
  datasetId: DatasetIdSchema,
  items: z.array(ReviewQueueItemSchema).max(1000),
});
export type ReviewQueueResponse = z.infer<typeof ReviewQueueResponseSchema>;

export const ReviewDecisionPathSchema = z.object({ jobId: JobIdSchema });

export const ReviewDecisionRequestSchema = z.object({
  decision: ReviewDecisionKindSchema,
  // Not trimmed: the signature covers the reason exactly as sent.
  reason: z.string().max(2000).regex(/\S/, "a decision needs a reason"),
  outputsCommitment: Bytes32Schema.meta({ description: "The output set decided on (from the queue)" }),
  nonce: ReviewNonceSchema.meta({ description: "Single-use uint256 (decimal) chosen by the reviewer" }),
  deadline: ReviewDeadlineSchema.meta({ description: "Unix seconds after which the signature is refused" }),
  signature: SignatureSchema.meta({
    description: "EIP-712 signature by the reviewer over ReviewDecision (REVIEW_DECISION_TYPES)",
  }),
});
export type ReviewDecisionRequest = z.input<typeof ReviewDecisionRequestSchema>;

export const ReviewDecisionResponseSchema = z.object({
  jobId: JobIdSchema,
  decision: ReviewDecisionKindSchema,
  state: z.string().min(1).max(64).meta({ description: "The review state after the decision" }),
  recordedAt: TimestampSchema,
});
export type ReviewDecisionResponse = z.infer<typeof ReviewDecisionResponseSchema>;

// --- the forward contract: edge API -> Privacy Plane --------------------------------------------

/** GET: answers ReviewQueueResponseSchema. Headers: x-cce4long-caller (the reviewer), bearer token. */
export const PRIVACY_PLANE_REVIEW_QUEUE_PATH = (datasetId: string) =>
  `/v1/reviews?datasetId=${encodeURIComponent(datasetId)}`;

/** GET: one output set under review: the gate's rule results and the outputs (never the dataset). */
export const PRIVACY_PLANE_REVIEW_DETAIL_PATH = (jobId: string) => `/v1/reviews/${jobId}`;

/** POST ForwardedReviewDecisionSchema: answers ReviewDecisionResponseSchema, or a problem (409 JOB_INVALID_STATE, ...). */
export const PRIVACY_PLANE_REVIEW_DECISION_PATH = (jobId: string) => `/v1/reviews/${jobId}/decision`;

/** What the edge forwards: the decision as signed, with what the edge checked it against. */
export const ForwardedReviewDecisionSchema = z.object({
  jobId: JobIdSchema,
  datasetId: DatasetIdSchema,
  reviewer: AddressSchema,
  decision: ReviewDecisionKindSchema,
  decisionCode: z.number().int(),
  reason: z.string(),
  outputsCommitment: Bytes32Schema,
  nonce: ReviewNonceSchema,
  deadline: ReviewDeadlineSchema,
  signature: SignatureSchema,
  chainId: z.number().int().positive(),
  verifyingContract: AddressSchema,
});
export type ForwardedReviewDecision = z.infer<typeof ForwardedReviewDecisionSchema>;
