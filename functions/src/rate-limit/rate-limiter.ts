/**
 * A fixed-window request counter per identity, in a Durable Object (runs in workerd). One object per
 * identity (wallet address or client IP), so counting is consistent across isolates and colos.
 * The count lives in memory only: if the object is evicted the window restarts, which errs towards
 * letting a request through; that is acceptable for abuse protection, not for billing.
 */
import { DurableObject } from "cloudflare:workers";

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the current window ends (ms since the epoch). */
  resetAtMs: number;
}

export class RateLimiter extends DurableObject {
  private windowStartMs = 0;
  private count = 0;

  /** Counts one request against `limit` per `windowMs` window and says whether it may proceed. */
  async hit(limit: number, windowMs: number, nowMs: number): Promise<RateLimitDecision> {
    if (nowMs - this.windowStartMs >= windowMs || nowMs < this.windowStartMs) {
      this.windowStartMs = nowMs;
      this.count = 0;
    }
    const resetAtMs = this.windowStartMs + windowMs;
    if (this.count >= limit) return { allowed: false, limit, remaining: 0, resetAtMs };
    this.count += 1;
    return { allowed: true, limit, remaining: limit - this.count, resetAtMs };
  }
}
