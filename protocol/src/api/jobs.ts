/**
 * Privacy Mode jobs through the edge API (runs anywhere): submitting a job that was requested
 * on-chain, its status (chain lifecycle plus what the Privacy Plane reports) and cancellation; and
 * the status endpoint the edge expects from the Privacy Plane.
 */
import { z } from "zod";
import { AuditEventSchema } from "./catalogue";
import { AddressSchema, Bytes32Schema, DatasetIdSchema, TimestampSchema } from "./common";

/** `Jobs.JobStatus` names in the API, in the contract's order (index = on-chain code, minus None). */
export const JOB_STATUSES = [
  "requested",
  "dispatched",
  "key-released",
  "outputs-submitted",
  "under-review",
  "changes-requested",
  "approved",
  "rejected",
  "result-released",
  "failed",
  "cancelled",
] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatusName = z.infer<typeof JobStatusSchema>;

export const JobIdSchema = Bytes32Schema.meta({
  description: "On-chain job id (bytes32): keccak256(abi.encode(consumer, salt)), 0x-prefixed hex",
  examples: [`0x${"cd".repeat(32)}`],
});

export const JobPathSchema = z.object({ jobId: JobIdSchema });

export const SubmitJobRequestSchema = z.object({
  jobId: JobIdSchema.meta({ description: "The id of the job requested on-chain with requestJob" }),
});
export type SubmitJobRequest = z.input<typeof SubmitJobRequestSchema>;

/** The answer to a submission; a re-submission of the same job gets exactly the same answer. */
export const JobSubmissionSchema = z.object({
  jobId: JobIdSchema,
  datasetId: DatasetIdSchema,
  consumer: AddressSchema,
  status: z.literal("submitted"),
  submittedAt: TimestampSchema,
  messageId: z.string().meta({ description: "The Pub/Sub message id of the submission" }),
});
export type JobSubmission = z.infer<typeof JobSubmissionSchema>;

export const JobSummarySchema = z.object({
  jobId: JobIdSchema,
  datasetId: DatasetIdSchema,
  consumer: AddressSchema,
  status: JobStatusSchema,
  imageDigest: Bytes32Schema.meta({ description: "sha256 of the algorithm's OCI image manifest" }),
  specCommitment: Bytes32Schema,
  requestedInBlock: z.string().regex(/^[0-9]+$/),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

export const ListJobsQuerySchema = z.object({
  datasetId: DatasetIdSchema.optional().meta({ description: "Only jobs on this dataset" }),
});

export const ListJobsResponseSchema = z.object({ jobs: z.array(JobSummarySchema) });
export type ListJobsResponse = z.infer<typeof ListJobsResponseSchema>;

/**
 * What the Privacy Plane reports about a job it is handling (GET {PRIVACY_PLANE_URL}/v1/jobs/{jobId}).
 * Informational: the chain is the record; fields beyond these are passed through.
 */
export const PrivacyPlaneJobStatusSchema = z.looseObject({
  phase: z.string().min(1).max(64).meta({ description: "e.g. queued, launching, running, gate, done" }),
  detail: z.string().max(1000).optional(),
  updatedAt: TimestampSchema,
});
export type PrivacyPlaneJobStatus = z.infer<typeof PrivacyPlaneJobStatusSchema>;

export const JobDetailSchema = JobSummarySchema.extend({
  requestedAt: TimestampSchema,
  datasetVersion: z.number().int().nonnegative().nullable().meta({ description: "Set at dispatch" }),
  resultPublicKey: Bytes32Schema.meta({ description: "X25519 key the results are encrypted to" }),
  submission: z
    .object({ submittedAt: TimestampSchema, messageId: z.string() })
    .nullable()
    .meta({ description: "When the job was submitted to this API; null if never" }),
  events: z.array(AuditEventSchema).meta({ description: "The job's on-chain lifecycle events, in order" }),
  privacyPlane: PrivacyPlaneJobStatusSchema.nullable().meta({
    description: "The Privacy Plane's own report; null if it has none or could not be asked",
  }),
});
export type JobDetail = z.infer<typeof JobDetailSchema>;

export const CancelJobResponseSchema = z.object({
  jobId: JobIdSchema,
  status: z.literal("cancel-requested"),
  requestedAt: TimestampSchema,
  messageId: z.string(),
});
export type CancelJobResponse = z.infer<typeof CancelJobResponseSchema>;

/** Privacy Plane endpoints the edge calls about jobs (paths relative to PRIVACY_PLANE_URL). */
export const PRIVACY_PLANE_JOB_STATUS_PATH = (jobId: string) => `/v1/jobs/${jobId}`;
