/**
 * Standard Webhooks signatures (functions/src/webhooks/signature.ts) inside workerd: the spec's
 * published example, and every way a signature, timestamp or header can be wrong.
 */
import { describe, expect, it } from "vitest";
import {
  newMessageId,
  newWebhookSecret,
  signWebhook,
  verifyWebhook,
  WebhookSecretSchema,
} from "../src/webhooks/signature";
import vector from "./vectors/standard-webhooks.json";

const body = new TextEncoder().encode(vector.payload);

function headers(overrides: Record<string, string | undefined> = {}): Headers {
  const all: Record<string, string | undefined> = {
    "webhook-id": vector.id,
    "webhook-timestamp": String(vector.timestamp),
    "webhook-signature": vector.signature,
    ...overrides,
  };
  const h = new Headers();
  for (const [k, v] of Object.entries(all)) if (v !== undefined) h.set(k, v);
  return h;
}

describe("the Standard Webhooks example vector", () => {
  it("signing reproduces the published signature", async () => {
    const signed = await signWebhook(vector.secret, vector.id, vector.timestamp, vector.payload);
    expect(signed).toEqual({
      "webhook-id": vector.id,
      "webhook-timestamp": String(vector.timestamp),
      "webhook-signature": vector.signature,
    });
  });

  it("verifying accepts it at its own time", async () => {
    expect(await verifyWebhook(vector.secret, headers(), body, vector.timestamp)).toEqual({
      ok: true,
      id: vector.id,
      timestampSeconds: vector.timestamp,
    });
  });

  it("accepts a secret given without the whsec_ prefix, as the spec allows", async () => {
    const bare = vector.secret.slice("whsec_".length);
    expect((await verifyWebhook(bare, headers(), body, vector.timestamp)).ok).toBe(true);
  });
});

describe("verification failures", () => {
  const at = vector.timestamp;

  it("error: a changed body, id or timestamp no longer matches", async () => {
    const other = new TextEncoder().encode('{"test": 2432232315}');
    expect(await verifyWebhook(vector.secret, headers(), other, at)).toEqual({
      ok: false,
      reason: "no-match",
    });
    const id = headers({ "webhook-id": "msg_other" });
    expect(await verifyWebhook(vector.secret, id, body, at)).toEqual({ ok: false, reason: "no-match" });
    const ts = headers({ "webhook-timestamp": String(at + 1) });
    expect(await verifyWebhook(vector.secret, ts, body, at)).toEqual({ ok: false, reason: "no-match" });
  });

  it("error: another secret -> no-match", async () => {
    expect(await verifyWebhook(newWebhookSecret(), headers(), body, at)).toEqual({
      ok: false,
      reason: "no-match",
    });
  });

  it("error: a timestamp more than 5 minutes old or ahead -> stale / future; at the edge it passes", async () => {
    expect((await verifyWebhook(vector.secret, headers(), body, at + 301)).ok).toBe(false);
    expect(await verifyWebhook(vector.secret, headers(), body, at + 301)).toEqual({
      ok: false,
      reason: "stale",
    });
    expect(await verifyWebhook(vector.secret, headers(), body, at - 301)).toEqual({
      ok: false,
      reason: "future",
    });
    expect((await verifyWebhook(vector.secret, headers(), body, at + 300)).ok).toBe(true);
    expect((await verifyWebhook(vector.secret, headers(), body, at - 300)).ok).toBe(true);
  });

  it("error: any of the three headers missing -> missing-headers", async () => {
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      expect(await verifyWebhook(vector.secret, headers({ [name]: undefined }), body, at)).toEqual({
        ok: false,
        reason: "missing-headers",
      });
    }
  });

  it("error: a timestamp that is not integer seconds, or an id with odd characters -> malformed-headers", async () => {
    for (const overrides of [
      { "webhook-timestamp": "1614265330.5" },
      { "webhook-timestamp": "-1" },
      { "webhook-timestamp": "2021-02-25T15:02:10Z" },
      { "webhook-id": "msg 1" },
      { "webhook-id": "x".repeat(129) },
    ]) {
      expect(await verifyWebhook(vector.secret, headers(overrides), body, at)).toEqual({
        ok: false,
        reason: "malformed-headers",
      });
    }
  });

  it("finds the valid v1 signature among several, ignoring other versions and junk", async () => {
    const [, mac] = vector.signature.split(",");
    const list = `v1a,${mac} v1,AAAA v1,notbase64!! v2,${mac} ${vector.signature}`;
    expect((await verifyWebhook(vector.secret, headers({ "webhook-signature": list }), body, at)).ok).toBe(
      true,
    );
    const withoutValid = `v1a,${mac} v2,${mac} v1,${btoa("x".repeat(32))}`;
    expect(
      await verifyWebhook(vector.secret, headers({ "webhook-signature": withoutValid }), body, at),
    ).toEqual({
      ok: false,
      reason: "no-match",
    });
  });
});

describe("secrets and ids", () => {
  it("makes whsec_ secrets of 32 random bytes that the schema accepts, and distinct msg_ ids", () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(WebhookSecretSchema.safeParse(a).success).toBe(true);
    expect(newWebhookSecret()).not.toBe(a);
    expect(newMessageId()).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(newMessageId()).not.toBe(newMessageId());
  });

  it("error: the schema refuses secrets without the prefix, not base64, or too short", () => {
    for (const bad of ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!!", `whsec_${btoa("short")}`]) {
      expect(WebhookSecretSchema.safeParse(bad).success).toBe(false);
    }
  });
});
