/**
 * Per-identity rate limit (runs in workerd): the wallet address of a valid token, otherwise the
 * client's IP. Counts live in the RateLimiter Durable Object (one per identity). Replies carry the
 * IETF draft RateLimit-* headers; refusals are RATE_LIMITED problems with Retry-After.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

const WINDOW_MS = 60_000;

export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const identity = identityOf(c);
  const namespace = c.env.RATE_LIMITER;
  const stub = namespace.get(namespace.idFromName(identity));
  const decision = await stub.hit(c.var.config.RATE_LIMIT_PER_MINUTE, WINDOW_MS, Date.now());
  const resetSeconds = Math.max(0, Math.ceil((decision.resetAtMs - Date.now()) / 1000));
  c.header("ratelimit-limit", String(decision.limit));
  c.header("ratelimit-remaining", String(decision.remaining));
  c.header("ratelimit-reset", String(resetSeconds));
  if (!decision.allowed) {
    c.header("retry-after", String(resetSeconds));
    throw new Cce4longError("RATE_LIMITED", `Too many requests; retry in ${resetSeconds} s`, {
      detail: { identity },
    });
  }
  await next();
};

function identityOf(c: Context<AppEnv>): string {
  const auth = c.var.auth;
  if (auth.kind === "authenticated") return `address:${auth.claims.sub.toLowerCase()}`;
  // Cloudflare sets cf-connecting-ip and strips any client-sent copy; locally it is absent.
  return `ip:${c.req.header("cf-connecting-ip") ?? "local"}`;
}
