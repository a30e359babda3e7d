/**
 * Fan-out of job and review events to registered webhook endpoints (runs in workerd). Recipients:
 * the job's consumer (its consumer endpoints) and the dataset's provider (its provider endpoints for
 * that dataset). Each matching endpoint gets the event queued in its own Durable Object, which
 * signs, sends and retries it.
 */
import type { WebhookEventType } from "@cce4long/protocol";
import { webhookFilterMatches } from "@cce4long/protocol";
import { hubReader } from "../chain/hub-reader";
import type { Config } from "../config";
import type { Bindings } from "../env";
import { type DirectoryEntry, directoryStub } from "./directory";
import { endpointStub } from "./endpoint-store";
import { newMessageId } from "./signature";

export interface EventSubject {
  jobId: string;
  datasetId: string;
  consumer: string;
  [field: string]: unknown;
}

/**
 * A dataset's provider never changes (the id is keccak256(provider, salt)), so it is cached per
 * isolate: fan-out then costs no chain read for datasets seen before.
 */
const providers = new Map<string, string>();
const MAX_CACHED_PROVIDERS = 10_000;

async function providerOf(config: Config, datasetId: string): Promise<string | null> {
  const cached = providers.get(datasetId);
  if (cached !== undefined) return cached;
  const dataset = await hubReader(config).dataset(datasetId as `0x${string}`);
  if (dataset === null) return null;
  if (providers.size >= MAX_CACHED_PROVIDERS) providers.clear();
  providers.set(datasetId, dataset.provider);
  return dataset.provider;
}

/** Queues the event for every matching endpoint; resolves to how many. */
export async function fanOut(
  env: Bindings,
  config: Config,
  type: WebhookEventType,
  subject: EventSubject,
  options: { messageId?: string; occurredAt?: string } = {},
): Promise<number> {
  const messageId = options.messageId ?? newMessageId();
  const body = JSON.stringify({
    type,
    timestamp: options.occurredAt ?? new Date().toISOString(),
    data: subject,
  });
  const provider = await providerOf(config, subject.datasetId.toLowerCase());
  const recipients: { owner: string; accepts: (e: DirectoryEntry) => boolean }[] = [
    { owner: subject.consumer, accepts: (e) => e.role === "consumer" },
  ];
  if (provider !== null) {
    recipients.push({
      owner: provider,
      accepts: (e) => e.role === "provider" && e.datasetId === subject.datasetId.toLowerCase(),
    });
  }
  const now = Date.now();
  let queued = 0;
  for (const recipient of recipients) {
    const entries = await directoryStub(env.WEBHOOK_DIRECTORY, recipient.owner).list();
    const matching = entries.filter(
      (e) =>
        e.kind === "delivery" && recipient.accepts(e) && e.events.some((f) => webhookFilterMatches(f, type)),
    );
    const results = await Promise.all(
      matching.map((e) => endpointStub(env.WEBHOOK_ENDPOINTS, e.id).enqueue(messageId, type, body, now)),
    );
    queued += results.filter(Boolean).length;
  }
  return queued;
}

/** For waitUntil after a response: failures are logged, never thrown at a request that already succeeded. */
export async function emitJobEvent(
  env: Bindings,
  config: Config,
  type: WebhookEventType,
  subject: EventSubject,
): Promise<void> {
  try {
    await fanOut(env, config, type, subject);
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        event: "webhook.fan-out-failed",
        type,
        jobId: subject.jobId,
        message: String(error),
      }),
    );
  }
}
