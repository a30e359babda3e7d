/**
 * Posts review events to the edge API's internal endpoint (runs inside the TEE): POST
 * /v1/internal/events, signed per Standard Webhooks (webhook-id, webhook-timestamp,
 * webhook-signature = v1,base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>"))) with the
 * PRIVACY_PLANE_EVENTS_SECRET the edge holds too. Retries with backoff; the edge answers 409
 * WEBHOOK_REPLAYED for a message id it already has, which counts as delivered.
 */
import { createHmac } from "node:crypto";
import type { InternalEvent } from "@cce4long/protocol/api/webhooks";
import { keccak256, stringToBytes } from "viem";
import type { EventSink, ReviewStateEvent } from "./events";

export interface HttpEventSinkOptions {
  /** The edge API's base URL. */
  edgeUrl: string;
  /** `whsec_<base64>`. */
  secret: string;
  fetcher?: typeof fetch;
  /** Delays between attempts (ms); the default tries 4 times over about 7 s. */
  backoffMs?: readonly number[];
  now?: () => Date;
  log(event: string, fields: Record<string, unknown>): void;
}

export const INTERNAL_EVENTS_PATH = "/v1/internal/events";

export function httpEventSink(options: HttpEventSinkOptions): EventSink {
  const fetcher = options.fetcher ?? fetch;
  const backoff = options.backoffMs ?? [500, 2_000, 4_500];
  const key = Buffer.from(options.secret.replace(/^whsec_/, ""), "base64");
  const url = `${options.edgeUrl.replace(/\/+$/, "")}${INTERNAL_EVENTS_PATH}`;
  return {
    async emit(event) {
      const body = JSON.stringify(toInternalEvent(event));
      const id = messageId(event);
      for (let attempt = 0; attempt <= backoff.length; attempt++) {
        const timestamp = String(Math.floor((options.now?.() ?? new Date()).getTime() / 1000));
        const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
        const status = await fetcher(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "webhook-id": id,
            "webhook-timestamp": timestamp,
            "webhook-signature": `v1,${signature}`,
          },
          body,
          signal: AbortSignal.timeout(5_000),
        })
          .then(async (res) => {
            await res.body?.cancel();
            return res.status;
          })
          .catch(() => 0);
        if ((status >= 200 && status < 300) || status === 409) return;
        // 4xx other than 408/429 will not change on retry.
        const retriable = status === 0 || status >= 500 || status === 408 || status === 429;
        if (!retriable || attempt === backoff.length) {
          options.log("review.event-undelivered", { jobId: event.jobId, type: event.type, status, id });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff[attempt]));
      }
    },
  };
}

/** Deterministic per (job, sequence, type): a retried or re-emitted event keeps its id. */
export function messageId(event: ReviewStateEvent): string {
  return `pp_${keccak256(stringToBytes(`${event.jobId}:${event.sequence}:${event.type}`)).slice(2, 34)}`;
}

export function toInternalEvent(event: ReviewStateEvent): InternalEvent {
  return {
    type: event.type,
    jobId: event.jobId,
    datasetId: event.datasetId,
    consumer: event.consumer,
    occurredAt: event.occurredAt,
    data: { ...event.data, state: event.state, previousState: event.previous },
  };
}
