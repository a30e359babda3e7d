/**
 * The HTTP event sink (runs in tests with a fake fetch): Standard Webhooks headers that verify with
 * the shared secret, retries on 5xx, a 409 (already received) counted as delivered, no retry on 4xx.
 */
import { createHmac } from "node:crypto";
import { InternalEventSchema } from "@cce4long/protocol/api/webhooks";
import { describe, expect, it } from "vitest";
import type { ReviewStateEvent } from "./events";
import { httpEventSink } from "./http-event-sink";

const SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const EVENT: ReviewStateEvent = {
  type: "job.under-review",
  jobId: `0x${"11".repeat(32)}`,
  datasetId: `0x${"22".repeat(32)}`,
  consumer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
  state: "needs-review",
  previous: "checking",
  occurredAt: "2026-11-21T10:00:00.000Z",
  sequence: 3,
  data: {},
};

function fakeFetch(statuses: number[]) {
  const calls: { url: string; headers: Record<string, string>; body: string }[] = [];
  const fetcher = (async (url: string, init: RequestInit) => {
    calls.push({ url, headers: init.headers as Record<string, string>, body: String(init.body) });
    return new Response(null, { status: statuses.shift() ?? 500 });
  }) as unknown as typeof fetch;
  return { calls, fetcher };
}

describe("http event sink", () => {
  it("signs each post so the edge's Standard Webhooks check passes, and the body is an InternalEvent", async () => {
    const { calls, fetcher } = fakeFetch([202]);
    await httpEventSink({ edgeUrl: "http://edge/", secret: SECRET, fetcher, log: () => {} }).emit(EVENT);
    const [call] = calls;
    expect(call?.url).toBe("http://edge/v1/internal/events");
    const h = call?.headers ?? {};
    const mac = createHmac("sha256", Buffer.alloc(32, 7))
      .update(`${h["webhook-id"]}.${h["webhook-timestamp"]}.${call?.body}`)
      .digest("base64");
    expect(h["webhook-signature"]).toBe(`v1,${mac}`);
    expect(InternalEventSchema.safeParse(JSON.parse(call?.body ?? "")).success).toBe(true);
  });

  it("retries a 5xx with the same message id and stops at 409 (already received)", async () => {
    const { calls, fetcher } = fakeFetch([503, 409]);
    await httpEventSink({
      edgeUrl: "http://edge",
      secret: SECRET,
      fetcher,
      backoffMs: [1, 1, 1],
      log: () => {},
    }).emit(EVENT);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.headers["webhook-id"]).toBe(calls[1]?.headers["webhook-id"]);
  });

  it("gives up at once on a 401 and logs the undelivered event", async () => {
    const { calls, fetcher } = fakeFetch([401]);
    const logged: string[] = [];
    await httpEventSink({
      edgeUrl: "http://edge",
      secret: SECRET,
      fetcher,
      backoffMs: [1],
      log: (e) => logged.push(e),
    }).emit(EVENT);
    expect(calls).toHaveLength(1);
    expect(logged).toEqual(["review.event-undelivered"]);
  });
});
