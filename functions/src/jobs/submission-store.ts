/**
 * One Durable Object per job id that makes submission idempotent (runs in workerd): the first
 * submission publishes to Pub/Sub and records the answer; every later one gets that same answer and
 * publishes nothing. A Durable Object rather than KV because KV is eventually consistent (two
 * submissions racing through different colos could both miss the other's write and publish twice);
 * the object holds concurrent calls while it publishes, so they see the first one's answer.
 * Storage keys: functions/storage-schema.md.
 */

import { DurableObject } from "cloudflare:workers";
import { Cce4longError, type ErrorCode, type JobSubmission } from "@cce4long/protocol";
import { JOB_MESSAGE_DEDUP_ATTRIBUTE, type JobSubmittedMessage } from "@cce4long/protocol/queue/messages";
import { loadConfig } from "../config";
import type { Bindings } from "../env";
import { pubsubPublisher } from "../pubsub/publisher";

const KEY = "submission";

/** Errors do not survive Durable Object RPC as classes, so failures come back as data. */
export type SubmitOutcome =
  | { ok: true; submission: JobSubmission; replayed: boolean }
  | { ok: false; code: ErrorCode; message: string };

export class JobSubmissionStore extends DurableObject<Bindings> {
  async lookup(): Promise<JobSubmission | null> {
    return (await this.ctx.storage.get<JobSubmission>(KEY)) ?? null;
  }

  /**
   * Publishes `message` once for this job; concurrent and later calls get the first answer.
   * blockConcurrencyWhile holds every other call until the publish and the write are done (sharing
   * one in-flight promise instead would make workerd cancel the waiting calls as hung: they would
   * wait on I/O owned by another request). publishOnce never throws, which would reset the object.
   */
  submit(message: JobSubmittedMessage): Promise<SubmitOutcome> {
    return this.ctx.blockConcurrencyWhile(() => this.publishOnce(message));
  }

  private async publishOnce(message: JobSubmittedMessage): Promise<SubmitOutcome> {
    const existing = await this.lookup();
    if (existing !== null) return { ok: true, submission: existing, replayed: true };
    try {
      const config = loadConfig(this.env);
      const messageId = await pubsubPublisher(config).publish(config.PUBSUB_JOBS_TOPIC, message, {
        [JOB_MESSAGE_DEDUP_ATTRIBUTE]: message.jobId,
      });
      const submission: JobSubmission = {
        jobId: message.jobId as `0x${string}`,
        datasetId: message.datasetId as `0x${string}`,
        consumer: message.consumer,
        status: "submitted",
        submittedAt: message.submittedAt,
        messageId,
      };
      await this.ctx.storage.put(KEY, submission);
      return { ok: true, submission, replayed: false };
    } catch (error) {
      if (error instanceof Cce4longError) {
        console.warn(
          JSON.stringify({ level: "warn", code: error.code, detail: error.detail, jobId: message.jobId }),
        );
        return { ok: false, code: error.code, message: error.message };
      }
      console.error(JSON.stringify({ level: "error", jobId: message.jobId, message: String(error) }));
      return { ok: false, code: "INTERNAL", message: "An internal error occurred" };
    }
  }
}

export function submissionStub(namespace: DurableObjectNamespace<JobSubmissionStore>, jobId: string) {
  return namespace.get(namespace.idFromName(jobId.toLowerCase()));
}
