/**
 * A short-lived cache for public, identity-independent GET routes (runs in workerd): the catalogue.
 * Off when CATALOGUE_CACHE_SECONDS is 0. Otherwise a successful answer is kept for that many seconds
 * in two tiers, looked up in order:
 *  1. this isolate's memory (cache/isolate-cache.ts): no I/O, so a hit costs about what the trivial
 *     route costs;
 *  2. the Workers Cache API (caches.default, shared by the isolates of one colo), so a fresh isolate
 *     does not go to the chain either.
 * Only the body and its content type are stored: request ids, CORS and rate-limit headers stay per
 * request. A request with `Cache-Control: no-cache` (RFC 9111 section 5.2.1.4) skips both lookups
 * and refreshes both tiers: the CLI sends it, so a provider sees its own on-chain edits at once
 * (`no-store` skips the lookups and stores nothing). Anyone may ask for a fresh read; what bounds the
 * chain reads a client can cause is the per-identity rate limit, not this cache.
 * When an isolate entry expires it stays usable for as long again: one request refreshes it while
 * the others get the stale copy (`x-cache: stale`), and if the refresh fails with a server error the
 * refreshing request gets the stale copy too, so an expiry or a chain outage does not reach every
 * reader at once. The trade-off: other readers see catalogue changes up to twice
 * CATALOGUE_CACHE_SECONDS late. Nothing that authorizes anything reads through this cache (roles
 * and rentals are read from the chain).
 */
import type { Context, MiddlewareHandler } from "hono";
import { type CachedBody, IsolateCache } from "../cache/isolate-cache";
import type { AppEnv } from "../env";

const isolateCache = new IsolateCache({
  maxEntries: 512,
  maxBytes: 8 * 1024 * 1024,
  maxEntryBytes: 512 * 1024,
});

/** The isolate tier, for tests that need a cold isolate. */
export function isolateCatalogueCache(): IsolateCache {
  return isolateCache;
}

/** When the colo copy was stored (ms since the epoch); never sent to clients. */
const STORED_AT_HEADER = "x-cce4long-stored-at";

/** The request's Cache-Control directives that matter here (RFC 9111 section 5.2.1). */
function requestDirectives(c: Context<AppEnv>): { revalidate: boolean; store: boolean } {
  const has = (name: string) =>
    new RegExp(`(^|,)\\s*${name}\\s*(,|$)`).test(c.req.header("cache-control")?.toLowerCase() ?? "");
  const noStore = has("no-store");
  return { revalidate: noStore || has("no-cache") || has("max-age=0"), store: !noStore };
}

function answer(c: Context<AppEnv>, cached: CachedBody, tier: "isolate" | "colo", stale = false) {
  c.header("x-cache", stale ? "stale" : "hit");
  c.header("x-cache-tier", tier);
  return c.body(cached.body, 200, { "content-type": cached.contentType });
}

export const edgeCache: MiddlewareHandler<AppEnv> = async (c, next) => {
  const seconds = c.var.config.CATALOGUE_CACHE_SECONDS;
  if (seconds === 0 || c.req.method !== "GET") return next();
  const key = c.req.url;
  const colo = (caches as unknown as { default: Cache }).default;
  const coloKey = new Request(key, { method: "GET" });

  const directives = requestDirectives(c);
  let stale: CachedBody | undefined;
  if (!directives.revalidate) {
    const local = isolateCache.lookup(key);
    if (local?.state === "fresh") return answer(c, local, "isolate");
    if (local?.state === "stale") {
      // Someone else is refreshing it: this reader gets the stale copy at once.
      if (!isolateCache.claimRefresh(key)) return answer(c, local, "isolate", true);
      stale = local;
    }
    const shared = await colo.match(coloKey);
    if (shared !== undefined) {
      const cached = {
        body: await shared.arrayBuffer(),
        contentType: shared.headers.get("content-type") ?? "application/json",
      };
      // The colo copy may be up to `seconds` old already; keeping it here for a full `seconds` more
      // would double the staleness bound, so the isolate tier keeps it for the rest of its life only.
      const storedAt = Number(shared.headers.get(STORED_AT_HEADER));
      const left = Number.isFinite(storedAt) ? seconds - (Date.now() - storedAt) / 1000 : 0;
      isolateCache.set(key, cached, left);
      return answer(c, cached, "colo");
    }
  }

  await next();
  if (c.res.status !== 200) {
    isolateCache.releaseRefresh(key);
    // stale-if-error: a chain outage during a refresh still answers with what was last read.
    if (stale !== undefined && c.res.status >= 500) {
      // Assigning keeps the per-request headers already on the response (request id, CORS, limits).
      c.res = new Response(stale.body, {
        status: 200,
        headers: { "content-type": stale.contentType, "x-cache": "stale", "x-cache-tier": "isolate" },
      });
    }
    return;
  }
  if (!directives.store) return;
  const cached = {
    body: await c.res.clone().arrayBuffer(),
    contentType: c.res.headers.get("content-type") ?? "application/json",
  };
  isolateCache.set(key, cached, seconds);
  const stored = new Response(cached.body, {
    headers: {
      "content-type": cached.contentType,
      "cache-control": `public, max-age=${seconds}`,
      [STORED_AT_HEADER]: String(Date.now()),
    },
  });
  c.executionCtx.waitUntil(colo.put(coloKey, stored));
  c.header("x-cache", "miss");
};
