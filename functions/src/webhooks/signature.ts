/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"), in
 * workerd with WebCrypto: `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
 * keyed by the base64 part of a `whsec_<base64>` secret. Used for deliveries we send, the incoming
 * trigger endpoint and the Privacy Plane's internal events.
 */
import { z } from "zod";

export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** The spec's recommended tolerance for webhook-timestamp, both ways (5 minutes). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
/** Bytes of a secret we generate (the spec allows 24 to 64). */
const SECRET_BYTES = 32;
const HMAC_BYTES = 32;

/** A `whsec_` secret whose base64 part decodes to 24 to 64 bytes. */
export const WebhookSecretSchema = z
  .string()
  .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, "must be whsec_ followed by base64")
  .refine((s) => {
    const bytes = base64Decode(s.slice(WEBHOOK_SECRET_PREFIX.length));
    return bytes !== undefined && bytes.length >= 24 && bytes.length <= 64;
  }, "must decode to 24 to 64 bytes");

export const WEBHOOK_HEADERS = {
  id: "webhook-id",
  timestamp: "webhook-timestamp",
  signature: "webhook-signature",
} as const;

/** A message id: what receivers deduplicate on. Bounded so replay caches stay small. */
const MESSAGE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + base64Encode(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** A fresh message id, `msg_` + 128 random bits. */
export function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `msg_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

const encoder = new TextEncoder();

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  const raw = base64Decode(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(6) : secret);
  if (raw === undefined) throw new TypeError("webhook secret is not base64");
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [usage]);
}

function signedContent(id: string, timestamp: string, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + body.length);
  content.set(prefix);
  content.set(body, prefix.length);
  return content;
}

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** The three headers for `body` sent as message `id` at `timestampSeconds`. */
export async function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: Uint8Array | string,
): Promise<SignedHeaders> {
  const timestamp = String(Math.floor(timestampSeconds));
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret, "sign"),
    signedContent(id, timestamp, bytes),
  );
  return {
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${base64Encode(new Uint8Array(mac))}`,
  };
}

export type WebhookVerifyFailure = "missing-headers" | "malformed-headers" | "stale" | "future" | "no-match";
export type WebhookVerifyResult =
  | { ok: true; id: string; timestampSeconds: number }
  | { ok: false; reason: WebhookVerifyFailure };

/**
 * Checks the headers and the raw body: the timestamp within `toleranceSeconds` of now, then any `v1`
 * signature in the (space-separated) list. Each candidate is compared by crypto.subtle.verify, which
 * is constant time; candidates of other versions are ignored as the spec asks. Replay of a valid
 * message id is the caller's to track (it needs state).
 */
export async function verifyWebhook(
  secret: string,
  headers: Headers,
  body: Uint8Array,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): Promise<WebhookVerifyResult> {
  const id = headers.get(WEBHOOK_HEADERS.id);
  const timestamp = headers.get(WEBHOOK_HEADERS.timestamp);
  const signatures = headers.get(WEBHOOK_HEADERS.signature);
  if (id === null || timestamp === null || signatures === null)
    return { ok: false, reason: "missing-headers" };
  if (!MESSAGE_ID.test(id) || !/^[0-9]{1,12}$/.test(timestamp) || signatures.length > 2048) {
    return { ok: false, reason: "malformed-headers" };
  }
  const timestampSeconds = Number(timestamp);
  if (timestampSeconds < nowSeconds - toleranceSeconds) return { ok: false, reason: "stale" };
  if (timestampSeconds > nowSeconds + toleranceSeconds) return { ok: false, reason: "future" };

  const key = await hmacKey(secret, "verify");
  const content = signedContent(id, timestamp, body);
  for (const entry of signatures.split(" ")) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || value === undefined) continue;
    const mac = base64Decode(value);
    if (mac === undefined || mac.length !== HMAC_BYTES) continue;
    if (await crypto.subtle.verify("HMAC", key, mac, content)) return { ok: true, id, timestampSeconds };
  }
  return { ok: false, reason: "no-match" };
}

function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Standard base64 (padding optional); undefined if it is not. */
function base64Decode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) return undefined;
  const unpadded = text.replace(/=+$/, "");
  const binary = atob(unpadded + "=".repeat((4 - (unpadded.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
