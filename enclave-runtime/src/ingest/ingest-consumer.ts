/**
 * The Pub/Sub consumer of ingest messages (runs inside the TEE): SUBSCRIPTIONS.ingest, one upload at a
 * time per upload id. Committed or permanently failed -> ack; a transient failure (object store, chain)
 * -> nack, so Pub/Sub redelivers and the idempotent ingest finishes the job. A malformed message is acked
 * and logged: it can never become valid and must not block the queue.
 */
import { IngestRequestedMessage } from "@cce4long/protocol/queue/messages";
import type { Message, Subscription } from "@google-cloud/pubsub";
import type { IngestOutcome } from "./ingest-upload";

export interface IngestConsumerOptions {
  subscription: Pick<Subscription, "on" | "removeListener" | "close">;
  ingest(message: IngestRequestedMessage): Promise<IngestOutcome>;
  log(event: string, fields: Record<string, unknown>): void;
}

export interface IngestConsumer {
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 16 * 1024;

export function parseIngestMessage(data: Buffer): IngestRequestedMessage | undefined {
  if (data.length > MAX_MESSAGE_BYTES) return undefined;
  try {
    const parsed = IngestRequestedMessage.safeParse(JSON.parse(data.toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function startIngestConsumer(options: IngestConsumerOptions): IngestConsumer {
  const running = new Map<string, Promise<IngestOutcome>>();
  const inFlight = new Set<Promise<void>>();
  // Duplicate deliveries of one upload share the run already under way instead of racing it.
  const ingestOnce = (message: IngestRequestedMessage) => {
    let run = running.get(message.uploadId);
    if (run === undefined) {
      run = options.ingest(message).finally(() => running.delete(message.uploadId));
      running.set(message.uploadId, run);
    }
    return run;
  };
  const onMessage = (delivery: Message) => {
    const work = (async () => {
      const message = parseIngestMessage(delivery.data);
      if (message === undefined) {
        options.log("ingest.message-refused", { messageId: delivery.id, length: delivery.data.length });
        delivery.ack();
        return;
      }
      try {
        const outcome = await ingestOnce(message);
        options.log("ingest.message-done", {
          messageId: delivery.id,
          uploadId: message.uploadId,
          outcome: outcome.kind,
        });
        delivery.ack();
      } catch (error) {
        options.log("ingest.retry-later", {
          messageId: delivery.id,
          uploadId: message.uploadId,
          error: error instanceof Error ? error.message : String(error),
        });
        delivery.nack();
      }
    })();
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const onError = (error: Error) => options.log("ingest.subscription-error", { error: error.message });
  options.subscription.on("message", onMessage);
  options.subscription.on("error", onError);
  return {
    async stop() {
      options.subscription.removeListener("message", onMessage);
      await Promise.allSettled([...inFlight]);
      options.subscription.removeListener("error", onError);
      await options.subscription.close();
    },
  };
}
