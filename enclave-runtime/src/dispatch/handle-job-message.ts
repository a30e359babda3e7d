/**
 * Turns a job message into a dispatch and the dispatch's outcome into ack or nack (runs inside the TEE).
 */
import type { JobsTopicMessage } from "@cce4long/protocol/queue/messages";
import { type DispatchDeps, dispatchJob } from "./dispatch-job";
import type { HandleResult } from "./job-queue-consumer";

export function createJobMessageHandler(deps: DispatchDeps) {
  return async (message: JobsTopicMessage, messageId: string): Promise<HandleResult> => {
    if (message.type === "job.cancel-requested") {
      // Cancelling before dispatch is the consumer's own on-chain call (cancelJob); a running job is not
      // interrupted yet. Acknowledged so the queue does not redeliver it.
      deps.log("job.cancel-request-ignored", { messageId, jobId: message.jobId });
      return "ack";
    }
    const result = await dispatchJob(message, deps);
    deps.log("job.dispatch-outcome", { messageId, jobId: message.jobId, ...result });
    return result.outcome === "retry" ? "nack" : "ack";
  };
}
