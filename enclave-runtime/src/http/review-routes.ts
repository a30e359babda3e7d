/**
 * The review route group of the Privacy Plane (runs inside the TEE), called by the edge API
 * (protocol/src/api/reviews.ts, "the forward contract"): a dataset's review queue, one output set's
 * rule results and outputs, and a reviewer's signed decision. Each call re-checks on-chain that the
 * caller reviews the dataset. Reviewers see the gate's findings and the outputs, never the dataset.
 */
import { Cce4longError } from "@cce4long/protocol";
import { ForwardedReviewDecisionSchema, ReviewQueueQuerySchema } from "@cce4long/protocol/api/reviews";
import { Hono } from "hono";
import type { Address } from "viem";
import type { ReviewRecord } from "../review/record";
import type { ReviewService } from "../review/review-service";
import { CALLER_HEADER, callerOf, requireEdgeToken } from "./edge-auth";

export interface ReviewRoutesDeps {
  service: ReviewService;
  apiToken: string | undefined;
}

const JOB_ID = /^0x[0-9a-fA-F]{64}$/;

export function reviewRoutes(deps: ReviewRoutesDeps): Hono {
  const { service } = deps;
  const app = new Hono();
  app.use("/v1/reviews", requireEdgeToken(deps.apiToken));
  app.use("/v1/reviews/*", requireEdgeToken(deps.apiToken));

  const ensureReviewer = async (datasetId: string, caller: Address) => {
    if (!(await service.deps.chain.isReviewer(datasetId as Address, caller))) {
      throw new Cce4longError("AUTH_FORBIDDEN", "Not allowed", {
        detail: { datasetId, caller, problem: "not a reviewer" },
      });
    }
  };

  app.get("/v1/reviews", async (c) => {
    const caller = callerOf(c.req.header(CALLER_HEADER));
    const query = ReviewQueueQuerySchema.safeParse({ datasetId: c.req.query("datasetId") });
    if (!query.success)
      throw new Cce4longError("VALIDATION_FAILED", "datasetId must be a bytes32 dataset id");
    await ensureReviewer(query.data.datasetId, caller);
    const items = (await service.queue(query.data.datasetId)).map(queueItem);
    return c.json({ datasetId: query.data.datasetId, items });
  });

  app.get("/v1/reviews/:jobId", async (c) => {
    const caller = callerOf(c.req.header(CALLER_HEADER));
    const record = await find(service, c.req.param("jobId"));
    await ensureReviewer(record.datasetId, caller);
    // Output bytes only while a decision is wanted: afterwards they belong to the consumer alone.
    const files = record.state === "needs-review" ? await service.outputs(record.jobId) : undefined;
    return c.json({
      ...queueItem(record),
      state: record.state,
      gate: record.gate,
      decisions: record.decisions.map(({ reviewer, decision, reasonHash, decidedAt }) => ({
        reviewer,
        decision,
        reasonHash,
        decidedAt,
      })),
      outputs: record.outputs.map((o) => {
        const bytes = files?.find((f) => f.path === o.path)?.bytes;
        return { ...o, content: bytes === undefined ? null : Buffer.from(bytes).toString("base64") };
      }),
    });
  });

  app.post("/v1/reviews/:jobId/decision", async (c) => {
    const caller = callerOf(c.req.header(CALLER_HEADER));
    const json = await c.req.json().catch(() => {
      throw new Cce4longError("BAD_REQUEST", "Body must be JSON");
    });
    const parsed = ForwardedReviewDecisionSchema.safeParse(json);
    if (!parsed.success) throw new Cce4longError("VALIDATION_FAILED", "Invalid review decision");
    const decision = parsed.data;
    if (decision.jobId !== c.req.param("jobId").toLowerCase() || decision.reviewer.toLowerCase() !== caller) {
      throw new Cce4longError("AUTH_FORBIDDEN", "Not allowed", {
        detail: { caller, problem: "path or caller mismatch" },
      });
    }
    const record = await service.decide(decision);
    return c.json({
      jobId: record.jobId,
      decision: decision.decision,
      state: record.state,
      recordedAt: record.updatedAt,
    });
  });

  return app;
}

async function find(service: ReviewService, jobId: string): Promise<ReviewRecord> {
  if (!JOB_ID.test(jobId)) throw new Cce4longError("NOT_FOUND", "Not found");
  const record = await service.get(jobId);
  if (record === undefined) throw new Cce4longError("JOB_NOT_FOUND", "No output set for this job");
  return record;
}

function queueItem(record: ReviewRecord) {
  return {
    jobId: record.jobId,
    datasetId: record.datasetId,
    outputsCommitment: record.outputsCommitment,
    submittedAt: record.submittedAt,
    // What is under review: a job's output set, or a file taken out of an Explore session.
    source: record.explore === undefined ? "job" : "explore-export",
    ...(record.explore === undefined ? {} : { exploreSessionId: record.explore.sessionId }),
    escalated: record.escalatedAt !== null,
    gateDecision: record.gate?.decision ?? null,
    files: (record.gate?.files ?? []).map((f) => ({
      path: f.path,
      verdict: f.verdict,
      rules: f.findings.map((x) => x.rule),
    })),
  };
}
