/**
 * Events the review emits on every state change (runs inside the TEE): an EventSink interface, a
 * logging sink (the default) and the mapping from a transition to the webhook event types of the
 * edge API (protocol/src/api/webhooks.ts). Events carry ids and states, never output content.
 */
import type { WebhookEventType } from "@cce4long/protocol/api/webhooks";
import type { Address, Hex } from "viem";
import type { ReviewEvent, ReviewState } from "./states";

export interface ReviewStateEvent {
  type: WebhookEventType;
  jobId: Hex;
  datasetId: Hex;
  consumer: Address;
  /** The review state after the change, and before it. */
  state: ReviewState;
  previous: ReviewState | null;
  occurredAt: string;
  /** Distinguishes repeated events of one job (the record's revision after the change). */
  sequence: number;
  data: Record<string, unknown>;
}

export interface EventSink {
  /** Must not throw: a lost event never blocks or undoes a state change. */
  emit(event: ReviewStateEvent): Promise<void>;
}

export function loggingEventSink(log: (event: string, fields: Record<string, unknown>) => void): EventSink {
  return {
    async emit(event) {
      log("review.event", { ...event });
    },
  };
}

/** Several sinks, each called; one failing does not stop the others. */
export function fanOut(...sinks: EventSink[]): EventSink {
  return {
    async emit(event) {
      await Promise.all(sinks.map((s) => s.emit(event).catch(() => {})));
    },
  };
}

/**
 * The webhook event types a transition produces. `checking` is internal (seconds long) and has
 * none; a reviewer's decision also produces review.decided.
 */
export function webhookTypesFor(to: ReviewState, event: ReviewEvent | "accepted"): WebhookEventType[] {
  const byReviewer = event.startsWith("reviewer-");
  switch (to) {
    case "submitted":
      return ["job.outputs-submitted"];
    case "checking":
      return [];
    case "auto-approved":
      return ["job.approved"];
    case "needs-review":
      return ["job.under-review", "review.requested"];
    case "approved":
      return ["review.decided", "job.approved"];
    case "rejected":
      return byReviewer ? ["review.decided", "job.rejected"] : ["job.rejected"];
    case "changes-requested":
      return ["review.decided", "job.changes-requested"];
    case "released":
      return ["job.result-released"];
    case "failed":
      return ["job.failed"];
  }
}
