/**
 * Output reviews (runs in workerd): a reviewer's queue and signed decisions, forwarded to the
 * Privacy Plane, which owns the gate's review state. The edge checks who is asking (a reviewer token
 * for the dataset, and the chain still naming them) and that a decision is signed by them
 * (EIP-712) before anything is forwarded; the Privacy Plane checks the signature again.
 */
import {
  Cce4longError,
  JobStatus,
  PRIVACY_PLANE_REVIEW_DECISION_PATH,
  PRIVACY_PLANE_REVIEW_QUEUE_PATH,
  REVIEW_DECISION_CODES,
  REVIEW_DECISION_TYPES,
  ReviewDecisionPathSchema,
  ReviewDecisionRequestSchema,
  ReviewDecisionResponseSchema,
  ReviewQueueQuerySchema,
  ReviewQueueResponseSchema,
  reviewDecisionDomain,
  reviewDecisionMessage,
} from "@cce4long/protocol";
import type { Context } from "hono";
import { Hono } from "hono";
import { type Address, type Hex, verifyTypedData } from "viem";
import { hubReader } from "../chain/hub-reader";
import { jobReader } from "../chain/job-reader";
import type { AppEnv } from "../env";
import { statusName } from "../jobs/submit";
import { requireClaims, requireRole } from "../middleware/auth";
import { jsonBody, pathParams, queryParams } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";
import { privacyPlane } from "../privacy-plane/client";

const queue = defineOperation({
  method: "get",
  path: "/v1/reviews",
  operationId: "listReviewQueue",
  summary: "Output sets of one dataset waiting for the signed-in reviewer's decision",
  description: "Needs a reviewer token for datasetId; the chain must still name the caller as a reviewer.",
  tag: "reviews",
  roles: ["reviewer"],
  query: ReviewQueueQuerySchema,
  responses: { 200: { description: "The queue, from the Privacy Plane", schema: ReviewQueueResponseSchema } },
  errors: ["CHAIN_UNREACHABLE", "PRIVACY_PLANE_UNAVAILABLE"],
});

const decide = defineOperation({
  method: "post",
  path: "/v1/reviews/{jobId}/decision",
  operationId: "decideReview",
  summary: "Approve, reject or request changes to a job's outputs, with an EIP-712 signed decision",
  description:
    "The job must be under review on a dataset the caller reviews. The signature is the reviewer's " +
    "EIP-712 signature of ReviewDecision(jobId, datasetId, outputsCommitment, decision, reasonHash, reviewer, " +
    "nonce, deadline) under the domain {name: cce4long, version: 1, chainId, verifyingContract: hub}; decision " +
    "is the on-chain OutputDecision code (approve 4, reject 5, request-changes 6), reasonHash the keccak256 of " +
    "the reason. The edge checks the signature and the deadline; the Privacy Plane checks them again and " +
    "uses up the nonce.",
  tag: "reviews",
  roles: ["reviewer"],
  params: ReviewDecisionPathSchema,
  body: ReviewDecisionRequestSchema,
  responses: {
    200: { description: "The Privacy Plane recorded the decision", schema: ReviewDecisionResponseSchema },
  },
  errors: ["JOB_NOT_FOUND", "JOB_INVALID_STATE", "CHAIN_UNREACHABLE", "PRIVACY_PLANE_UNAVAILABLE"],
});

export const reviewsOperations = [queue, decide];

/** The reviewer's dataset, if the token is for `datasetId` and the chain still names the caller. */
async function ensureReviewerOf(c: Context<AppEnv>, datasetId: Hex): Promise<Address> {
  const claims = requireClaims(c);
  const reviewer = claims.sub as Address;
  if (claims.role.kind !== "reviewer" || claims.role.datasetId !== datasetId.toLowerCase()) {
    throw new Cce4longError("AUTH_FORBIDDEN", "The token is scoped to another dataset", {
      detail: { have: claims.role, need: datasetId },
    });
  }
  if (!(await hubReader(c.var.config).isReviewer(datasetId, reviewer))) {
    throw new Cce4longError("AUTH_FORBIDDEN", "The chain no longer names this address as a reviewer", {
      detail: { datasetId, reviewer },
    });
  }
  return reviewer;
}

export const reviewsRoutes = new Hono<AppEnv>()
  .get(honoPath(queue), requireRole(["reviewer"]), queryParams(ReviewQueueQuerySchema), async (c) => {
    const { datasetId } = c.req.valid("query");
    const reviewer = await ensureReviewerOf(c, datasetId);
    const answer = await privacyPlane(c.var.config).get(
      PRIVACY_PLANE_REVIEW_QUEUE_PATH(datasetId),
      ReviewQueueResponseSchema,
      {
        caller: reviewer,
        requestId: c.var.requestId,
      },
    );
    if (answer.datasetId !== datasetId) {
      throw new Cce4longError("PRIVACY_PLANE_UNAVAILABLE", "The Privacy Plane cannot be reached; try again", {
        detail: { reason: "queue of another dataset", asked: datasetId, got: answer.datasetId },
      });
    }
    return c.json(answer);
  })
  .post(
    honoPath(decide),
    requireRole(["reviewer"]),
    pathParams(ReviewDecisionPathSchema),
    jsonBody(ReviewDecisionRequestSchema),
    async (c) => {
      const { jobId } = c.req.valid("param");
      const request = c.req.valid("json");
      const config = c.var.config;
      const job = await jobReader(config).job(jobId);
      if (job === null)
        throw new Cce4longError("JOB_NOT_FOUND", "No job with this id was requested on-chain");
      const datasetId = job.datasetId.toLowerCase() as Hex;
      const reviewer = await ensureReviewerOf(c, datasetId);
      if (job.status !== JobStatus.UnderReview) {
        throw new Cce4longError(
          "JOB_INVALID_STATE",
          `The job is ${statusName(job.status)}, not under review`,
        );
      }
      if (request.deadline <= Math.floor(Date.now() / 1000)) {
        throw new Cce4longError("AUTH_FORBIDDEN", "The decision's signature has expired (deadline passed)", {
          detail: { jobId, reviewer, deadline: request.deadline },
        });
      }
      const decisionCode = REVIEW_DECISION_CODES[request.decision];
      const signedByReviewer = await verifyTypedData({
        address: reviewer,
        domain: reviewDecisionDomain(config.CHAIN_ID, config.HUB_ADDRESS),
        types: REVIEW_DECISION_TYPES,
        primaryType: "ReviewDecision",
        message: reviewDecisionMessage({ ...request, jobId, datasetId, reviewer }),
        signature: request.signature as Hex,
      }).catch(() => false);
      if (!signedByReviewer) {
        throw new Cce4longError("AUTH_FORBIDDEN", "The decision is not signed by the signed-in reviewer", {
          detail: { jobId, reviewer },
        });
      }
      const answer = await privacyPlane(config).post(
        PRIVACY_PLANE_REVIEW_DECISION_PATH(jobId),
        {
          jobId,
          datasetId,
          reviewer,
          decision: request.decision,
          decisionCode,
          reason: request.reason,
          outputsCommitment: request.outputsCommitment,
          nonce: request.nonce,
          deadline: request.deadline,
          signature: request.signature,
          chainId: config.CHAIN_ID,
          verifyingContract: config.HUB_ADDRESS,
        },
        ReviewDecisionResponseSchema,
        { caller: reviewer, requestId: c.var.requestId },
      );
      return c.json(answer);
    },
  );
