/**
 * Every service the edge API calls, faked in-Worker for routing-level tests (runs in workerd under
 * vitest): one fetch spy routes the chain's JSON-RPC (FakeChain), the Pub/Sub REST publish, the
 * Privacy Plane, the object store and webhook receivers by URL. Real services: test/integration.
 */
import { vi } from "vitest";
import { FakeChain, RPC_URL } from "./fake-chain";

/** What wrangler.toml configures for tests. */
export const PUBSUB_URL = "http://127.0.0.1:8085";
export const OBJECT_STORE_URL = "http://127.0.0.1:9000";
export const PRIVACY_PLANE_URL = "http://127.0.0.1:8790";

export interface Published {
  url: string;
  topic: string;
  message: Record<string, unknown>;
  attributes: Record<string, string>;
}

export interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

type Handler = (request: Seen) => Response | Promise<Response>;

export class FakeNetwork {
  readonly chain = new FakeChain();
  published: Published[] = [];
  pubsubDown = false;
  /** Answers the Privacy Plane's endpoints; 404 when unset. */
  privacyPlane: Handler | undefined;
  privacyPlaneSeen: Seen[] = [];
  /** Objects in the fake store, by "bucket/key". */
  objects = new Map<string, string>();
  storeSeen: Seen[] = [];
  /** Webhook receivers by URL prefix. */
  receivers = new Map<string, Handler>();
  received: Seen[] = [];

  reset(): void {
    this.chain.datasets = [];
    this.chain.jobs = [];
    this.chain.down = false;
    this.chain.calls = [];
    this.published = [];
    this.pubsubDown = false;
    this.privacyPlane = undefined;
    this.privacyPlaneSeen = [];
    this.objects.clear();
    this.storeSeen = [];
    this.receivers.clear();
    this.received = [];
  }

  install(): void {
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      const url = request.url;
      if (url.startsWith(RPC_URL)) return this.chain.handle(request);
      const seen: Seen = {
        method: request.method,
        url,
        headers: request.headers,
        body: await request.text(),
      };
      if (url.startsWith(PUBSUB_URL)) return this.publish(seen);
      if (url.startsWith(PRIVACY_PLANE_URL)) {
        this.privacyPlaneSeen.push(seen);
        return this.privacyPlane === undefined
          ? new Response("not found", { status: 404 })
          : this.privacyPlane(seen);
      }
      if (url.startsWith(OBJECT_STORE_URL)) return this.store(seen);
      // Longest prefix first, so a specific receiver wins over a catch-all on the same host.
      const receivers = [...this.receivers].sort(([a], [b]) => b.length - a.length);
      for (const [prefix, handler] of receivers) {
        if (url.startsWith(prefix)) {
          this.received.push(seen);
          return handler(seen);
        }
      }
      return realFetch(input, init);
    });
  }

  private publish(seen: Seen): Response {
    if (this.pubsubDown) throw new TypeError("Network connection lost.");
    const match = /\/v1\/projects\/([^/]+)\/topics\/([^/:]+):publish$/.exec(new URL(seen.url).pathname);
    if (match === null || seen.method !== "POST") return new Response("bad path", { status: 404 });
    const { messages } = JSON.parse(seen.body) as {
      messages: { data: string; attributes: Record<string, string> }[];
    };
    const ids: string[] = [];
    for (const m of messages) {
      this.published.push({
        url: seen.url,
        topic: decodeURIComponent(match[2]!),
        message: JSON.parse(atob(m.data)) as Record<string, unknown>,
        attributes: m.attributes,
      });
      ids.push(String(this.published.length));
    }
    return Response.json({ messageIds: ids });
  }

  private store(seen: Seen): Response {
    this.storeSeen.push(seen);
    if (!seen.headers.get("authorization")?.startsWith("AWS4-HMAC-SHA256 ")) {
      return new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 });
    }
    const key = decodeURIComponent(new URL(seen.url).pathname.slice(1));
    if (seen.method === "PUT") {
      this.objects.set(key, seen.body);
      return new Response(null, { status: 200 });
    }
    const body = this.objects.get(key);
    return body === undefined
      ? new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404 })
      : new Response(body);
  }
}
