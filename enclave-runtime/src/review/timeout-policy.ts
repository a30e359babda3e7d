/**
 * The review timeout policy (runs inside the TEE): what happens to an output set left in
 * needs-review too long. Pure decision function plus a sweeper that applies it on an interval.
 * "reject" ends the job (recorded on-chain as failed with ReviewTimedOut, as the chain allows no
 * reviewer-less rejection); "escalate" keeps it in review and emits review.requested again, once.
 */
import { z } from "zod";
import type { ReviewRecord } from "./record";

export const TimeoutPolicySchema = z.strictObject({
  /** Hours an output set may wait in needs-review. */
  afterHours: z
    .number()
    .positive()
    .max(24 * 365),
  action: z.enum(["reject", "escalate"]),
});
export type TimeoutPolicy = z.infer<typeof TimeoutPolicySchema>;

export type TimeoutAction = "none" | "reject" | "escalate";

/** What the policy does to `record` at `now`. */
export function timeoutAction(record: ReviewRecord, policy: TimeoutPolicy, now: Date): TimeoutAction {
  if (record.state !== "needs-review") return "none";
  const since = Date.parse(lastEntered(record, "needs-review"));
  if (now.getTime() - since < policy.afterHours * 3_600_000) return "none";
  if (policy.action === "escalate") return record.escalatedAt === null ? "escalate" : "none";
  return "reject";
}

function lastEntered(record: ReviewRecord, state: ReviewRecord["state"]): string {
  for (let i = record.history.length - 1; i >= 0; i--) {
    const entry = record.history[i];
    if (entry?.to === state) return entry.at;
  }
  return record.updatedAt;
}

/** Calls `sweep` every `intervalMs` until stopped; errors are the sweep's to log. */
export function startSweeper(sweep: () => Promise<void>, intervalMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweep()
      .catch(() => {})
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
