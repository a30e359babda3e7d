/**
 * The Pub/Sub consumer of job messages (runs inside the TEE): one subscription (SUBSCRIPTIONS.jobs),
 * each message parsed, dispatched, then acked or nacked. A bad message is acked and logged: it can never
 * become valid, and it must never crash the service or block the queue.
 */
import { JobsTopicMessage } from "@cce4long/protocol/queue/messages";
import type { Message, Subscription } from "@google-cloud/pubsub";

export type HandleResult = "ack" | "nack";

export interface JobQueueConsumerOptions {
  subscription: Pick<Subscription, "on" | "removeListener" | "close">;
  handle(message: JobsTopicMessage, messageId: string): Promise<HandleResult>;
  log(event: string, fields: Record<string, unknown>): void;
}

export interface JobQueueConsumer {
  /** Stops receiving and waits for the messages being handled. */
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 16 * 1024;

/** Parses one delivery; undefined (with the reason logged) when it is not a job message. */
export function parseJobMessage(data: Buffer, log: JobQueueConsumerOptions["log"], messageId: string) {
  if (data.length > MAX_MESSAGE_BYTES) {
    log("queue.message-refused", { messageId, problem: "too large", length: data.length });
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(data.toString("utf8"));
  } catch {
    log("queue.message-refused", { messageId, problem: "not JSON" });
    return undefined;
  }
  const parsed = JobsTopicMessage.safeParse(json);
  if (!parsed.success) {
    log("queue.message-refused", {
      messageId,
      problem: "not a job message",
      fields: parsed.error.issues.map((i) => i.path.join(".")),
    });
    return undefined;
  }
  return parsed.data;
}

export function startJobQueueConsumer(options: JobQueueConsumerOptions): JobQueueConsumer {
  const inFlight = new Set<Promise<void>>();
  const onMessage = (message: Message) => {
    const work = (async () => {
      const parsed = parseJobMessage(message.data, options.log, message.id);
      if (!parsed) return message.ack();
      let result: HandleResult;
      try {
        result = await options.handle(parsed, message.id);
      } catch (error) {
        options.log("queue.handler-failed", {
          messageId: message.id,
          error: error instanceof Error ? error.message : String(error),
        });
        result = "nack";
      }
      if (result === "ack") message.ack();
      else message.nack();
    })();
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const onError = (error: Error) => options.log("queue.subscription-error", { error: error.message });
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
