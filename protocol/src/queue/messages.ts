/**
 * Messages on the Pub/Sub topics (runs anywhere). Deliberately small: they only point at state
 * that lives on-chain or in object storage, and the Privacy Plane re-reads and re-checks all of it
 * before acting ("it acts only on requests that exist on-chain"). A forged message can therefore
 * make it look, never make it act.
 */
import { z } from "zod";

const Bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, "a 0x-prefixed lowercase bytes32");
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address");

/** topic cce4long-jobs: a consumer submitted a Privacy Mode job that was requested on-chain. */
export const JobSubmittedMessage = z.strictObject({
  type: z.literal("job.submitted"),
  version: z.literal(1),
  jobId: Bytes32,
  datasetId: Bytes32,
  consumer: Address,
  /** ISO time the edge API accepted it (for latency metrics only; never trusted). */
  submittedAt: z.iso.datetime(),
});
export type JobSubmittedMessage = z.infer<typeof JobSubmittedMessage>;

/** topic cce4long-jobs: the consumer asked to cancel a job (the Privacy Plane decides if it still can). */
export const JobCancelRequestedMessage = z.strictObject({
  type: z.literal("job.cancel-requested"),
  version: z.literal(1),
  jobId: Bytes32,
  consumer: Address,
  submittedAt: z.iso.datetime(),
});
export type JobCancelRequestedMessage = z.infer<typeof JobCancelRequestedMessage>;

export const JobsTopicMessage = z.discriminatedUnion("type", [
  JobSubmittedMessage,
  JobCancelRequestedMessage,
]);
export type JobsTopicMessage = z.infer<typeof JobsTopicMessage>;

/** The Pub/Sub ordering/dedup attribute: publishers set it to the job id so duplicates are recognisable. */
export const JOB_MESSAGE_DEDUP_ATTRIBUTE = "cce4long-job-id";

/**
 * topic cce4long-ingest: a provider completed an upload session (edge API -> Privacy Plane). The Privacy
 * Plane reads the session record and the staged envelopes from the object store, re-checks the dataset
 * on-chain, and ingests; redelivery and duplicates are harmless (ingest is idempotent by upload id).
 */
export const IngestRequestedMessage = z.strictObject({
  type: z.literal("ingest.requested"),
  version: z.literal(1),
  uploadId: z.string().regex(/^[0-9a-f]{32}$/, "32 lowercase hex characters"),
  datasetId: Bytes32,
  provider: Address,
  submittedAt: z.iso.datetime(),
});
export type IngestRequestedMessage = z.infer<typeof IngestRequestedMessage>;

/** Publishers set this attribute to the upload id so duplicates are recognisable. */
export const INGEST_MESSAGE_DEDUP_ATTRIBUTE = "cce4long-upload-id";
