/**
 * Privacy Mode jobs (runs in workerd): submit a job requested on-chain (queued to Pub/Sub, once per
 * job), list the consumer's jobs, read one job's status, and ask for cancellation. The chain is the
 * record of every job; the Privacy Plane decides what happens next.
 */
import {
  CancelJobResponseSchema,
  Cce4longError,
  FINAL_JOB_STATUSES,
  JobDetailSchema,
  JobPathSchema,
  JobStatus,
  type JobStatus as JobStatusCode,
  JobSubmissionSchema,
  ListJobsQuerySchema,
  ListJobsResponseSchema,
  PRIVACY_PLANE_JOB_STATUS_PATH,
  PrivacyPlaneJobStatusSchema,
  SubmitJobRequestSchema,
} from "@cce4long/protocol";
import { JOB_MESSAGE_DEDUP_ATTRIBUTE } from "@cce4long/protocol/queue/messages";
import { Hono } from "hono";
import type { Address } from "viem";
import { jobReader } from "../chain/job-reader";
import { auditEvents, secondsToIso } from "../chain/to-json";
import type { AppEnv } from "../env";
import { submissionStub } from "../jobs/submission-store";
import { ensureOwnJob, statusName, submitJob } from "../jobs/submit";
import { requireClaims, requireRole } from "../middleware/auth";
import { jsonBody, pathParams, queryParams } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";
import { privacyPlane } from "../privacy-plane/client";
import { pubsubPublisher } from "../pubsub/publisher";
import { emitJobEvent } from "../webhooks/emit";

const submit = defineOperation({
  method: "post",
  path: "/v1/jobs",
  operationId: "submitJob",
  summary: "Submit a Privacy Mode job that was requested on-chain",
  description:
    "The job must exist on-chain, belong to the caller, still be in the requested state, and the caller's " +
    "rental of its dataset must be active. The job is queued once: submitting it again returns the same " +
    "answer (with idempotent-replayed: true) and queues nothing.",
  tag: "jobs",
  roles: ["consumer"],
  body: SubmitJobRequestSchema,
  responses: { 202: { description: "Queued (or already queued)", schema: JobSubmissionSchema } },
  errors: ["JOB_NOT_FOUND", "JOB_INVALID_STATE", "RENTAL_INACTIVE", "CHAIN_UNREACHABLE", "QUEUE_UNAVAILABLE"],
});

const list = defineOperation({
  method: "get",
  path: "/v1/jobs",
  operationId: "listJobs",
  summary: "The signed-in consumer's jobs, from the chain's JobRequested events, oldest first",
  tag: "jobs",
  roles: ["consumer"],
  query: ListJobsQuerySchema,
  responses: { 200: { description: "The consumer's jobs", schema: ListJobsResponseSchema } },
  errors: ["CHAIN_UNREACHABLE"],
});

const read = defineOperation({
  method: "get",
  path: "/v1/jobs/{jobId}",
  operationId: "getJob",
  summary: "One job: its on-chain record and lifecycle events, and the Privacy Plane's report",
  tag: "jobs",
  roles: ["consumer"],
  params: JobPathSchema,
  responses: { 200: { description: "The job", schema: JobDetailSchema } },
  errors: ["JOB_NOT_FOUND", "CHAIN_UNREACHABLE"],
});

const cancel = defineOperation({
  method: "post",
  path: "/v1/jobs/{jobId}/cancel",
  operationId: "cancelJob",
  summary: "Ask the Privacy Plane to cancel a job",
  description:
    "Queues a cancellation request; the Privacy Plane decides whether the job can still be stopped and " +
    "records the outcome on-chain. Before dispatch the consumer can also cancel on-chain (cancelJob).",
  tag: "jobs",
  roles: ["consumer"],
  params: JobPathSchema,
  responses: { 202: { description: "Cancellation requested", schema: CancelJobResponseSchema } },
  errors: ["JOB_NOT_FOUND", "JOB_INVALID_STATE", "CHAIN_UNREACHABLE", "QUEUE_UNAVAILABLE"],
});

export const jobsOperations = [submit, list, read, cancel];

/** How long GET /v1/jobs/{id} waits for the Privacy Plane's report before answering without it. */
const PRIVACY_PLANE_STATUS_TIMEOUT_MS = 2_000;

export const jobsRoutes = new Hono<AppEnv>()
  .post(honoPath(submit), requireRole(["consumer"]), jsonBody(SubmitJobRequestSchema), async (c) => {
    const consumer = requireClaims(c).sub as Address;
    const { jobId } = c.req.valid("json");
    const { submission, replayed } = await submitJob(c.env, c.var.config, jobId, consumer);
    if (!replayed) c.executionCtx.waitUntil(emitJobEvent(c.env, c.var.config, "job.submitted", submission));
    c.header("idempotent-replayed", String(replayed));
    return c.json(submission, 202);
  })
  .get(honoPath(list), requireRole(["consumer"]), queryParams(ListJobsQuerySchema), async (c) => {
    const consumer = requireClaims(c).sub as Address;
    const { datasetId } = c.req.valid("query");
    const reader = jobReader(c.var.config);
    const requests = await reader.requestedBy(consumer, datasetId);
    const statuses = await Promise.all(requests.map((r) => reader.status(r.jobId)));
    return c.json({
      jobs: requests.map((r, i) => ({
        jobId: r.jobId,
        datasetId: r.datasetId,
        consumer: r.consumer,
        status: statusName(statuses[i]!),
        imageDigest: r.imageDigest,
        specCommitment: r.specCommitment,
        requestedInBlock: r.blockNumber.toString(),
      })),
    });
  })
  .get(honoPath(read), requireRole(["consumer"]), pathParams(JobPathSchema), async (c) => {
    const consumer = requireClaims(c).sub as Address;
    const { jobId } = c.req.valid("param");
    const job = await ensureOwnJob(c.var.config, jobId, consumer);
    const [events, submission, report] = await Promise.all([
      jobReader(c.var.config).lifecycle(job.datasetId, jobId),
      submissionStub(c.env.JOB_SUBMISSIONS, jobId).lookup(),
      privacyPlane(c.var.config)
        .get(PRIVACY_PLANE_JOB_STATUS_PATH(jobId), PrivacyPlaneJobStatusSchema, {
          caller: consumer,
          requestId: c.var.requestId,
          timeoutMs: PRIVACY_PLANE_STATUS_TIMEOUT_MS,
        })
        // Informational only: the chain answers the question even when the Privacy Plane cannot.
        .catch(() => null),
    ]);
    const requested = events.find((e) => e.eventName === "JobRequested");
    return c.json({
      jobId,
      datasetId: job.datasetId.toLowerCase(),
      consumer: job.consumer,
      status: statusName(job.status),
      imageDigest: job.imageDigest.toLowerCase(),
      specCommitment: job.specCommitment.toLowerCase(),
      resultPublicKey: job.resultPublicKey.toLowerCase(),
      requestedInBlock: (requested?.blockNumber ?? 0n).toString(),
      requestedAt: secondsToIso(job.requestedAt),
      datasetVersion:
        job.status >= JobStatus.Dispatched && job.status !== JobStatus.Cancelled ? job.datasetVersion : null,
      submission:
        submission === null ? null : { submittedAt: submission.submittedAt, messageId: submission.messageId },
      events: auditEvents(events),
      privacyPlane: report,
    });
  })
  .post(honoPath(cancel), requireRole(["consumer"]), pathParams(JobPathSchema), async (c) => {
    const consumer = requireClaims(c).sub as Address;
    const { jobId } = c.req.valid("param");
    const job = await ensureOwnJob(c.var.config, jobId, consumer);
    if (FINAL_JOB_STATUSES.includes(job.status as JobStatusCode)) {
      throw new Cce4longError(
        "JOB_INVALID_STATE",
        `The job is ${statusName(job.status)} and can no longer be cancelled`,
      );
    }
    const requestedAt = new Date().toISOString();
    const config = c.var.config;
    const messageId = await pubsubPublisher(config).publish(
      config.PUBSUB_JOBS_TOPIC,
      { type: "job.cancel-requested", version: 1, jobId, consumer, submittedAt: requestedAt },
      { [JOB_MESSAGE_DEDUP_ATTRIBUTE]: jobId },
    );
    return c.json({ jobId, status: "cancel-requested" as const, requestedAt, messageId }, 202);
  });
