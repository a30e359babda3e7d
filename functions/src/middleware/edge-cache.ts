/**
 * A short-lived edge cache for public, identity-independent GET routes (runs in workerd): the
 * catalogue. Off unless CATALOGUE_CACHE_SECONDS > 0; then a successful answer is kept in the Workers
 * Cache API (caches.default, per colo) for that many seconds, keyed by the URL. Only the body and its
 * content type are stored: request ids, CORS and rate-limit headers stay per request.
 * The trade-off: catalogue changes on-chain show up after at most that many seconds.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

export const edgeCache: MiddlewareHandler<AppEnv> = async (c, next) => {
  const seconds = c.var.config.CATALOGUE_CACHE_SECONDS;
  if (seconds === 0 || c.req.method !== "GET") return next();
  const cache = (caches as unknown as { default: Cache }).default;
  const key = new Request(c.req.url, { method: "GET" });
  const hit = await cache.match(key);
  if (hit !== undefined) {
    c.header("x-cache", "hit");
    return c.body(await hit.arrayBuffer(), 200, {
      "content-type": hit.headers.get("content-type") ?? "application/json",
    });
  }
  await next();
  if (c.res.status !== 200) return;
  const body = await c.res.clone().arrayBuffer();
  const stored = new Response(body, {
    headers: {
      "content-type": c.res.headers.get("content-type") ?? "application/json",
      "cache-control": `public, max-age=${seconds}`,
    },
  });
  c.executionCtx.waitUntil(cache.put(key, stored));
  c.header("x-cache", "miss");
};
