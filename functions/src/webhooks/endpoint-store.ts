/**
 * One webhook endpoint in a Durable Object (runs in workerd): its signing secret, its queue of
 * deliveries retried with exponential backoff by the object's alarm, and, for trigger endpoints and
 * the Privacy Plane's event channel, the replay cache of message ids already accepted.
 * Alarms work the same under wrangler dev and in tests (cloudflare:test runDurableObjectAlarm).
 * Storage keys: functions/storage-schema.md.
 */

import { DurableObject } from "cloudflare:workers";
import type { WebhookEventFilter } from "@cce4long/protocol";
import { MAX_ATTEMPTS, retryDelayMs } from "./backoff";
import {
  signWebhook,
  verifyWebhook,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookVerifyFailure,
} from "./signature";

export interface EndpointConfig {
  id: string;
  kind: "delivery" | "trigger";
  owner: string;
  role: "consumer" | "provider";
  datasetId: string | null;
  url: string | null;
  events: WebhookEventFilter[];
  description: string | null;
  secret: string;
  createdAt: string;
}

export interface Delivery {
  messageId: string;
  type: string;
  body: string;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptAtMs: number;
  lastStatus: number | null;
}

export interface DeliveryStats {
  pending: number;
  delivered: number;
  failed: number;
}

export type TriggerCheck =
  | { ok: true; owner: string; messageId: string }
  | { ok: false; reason: "unknown-endpoint" | "replayed" | WebhookVerifyFailure };

const CONFIG = "config";
const STATS = "stats";
const SEQ = "seq";
const DELIVERY = "delivery:";
const SEEN = "seen:";
/** Pending deliveries kept per endpoint; beyond this new events are dropped and counted as failed. */
const MAX_PENDING = 1000;
/** Deliveries attempted per alarm run, so one run stays short; the rest go in the next run. */
const BATCH = 25;
const DELIVERY_TIMEOUT_MS = 10_000;
/** A message id is remembered for twice the timestamp tolerance: any replay after that is stale anyway. */
const SEEN_TTL_MS = 2 * WEBHOOK_TOLERANCE_SECONDS * 1000;

export class WebhookEndpointStore extends DurableObject {
  async create(config: EndpointConfig): Promise<void> {
    await this.ctx.storage.put({ [CONFIG]: config, [STATS]: { delivered: 0, failed: 0 }, [SEQ]: 0 });
  }

  /** The endpoint without its secret, with delivery counts; null if it does not exist. */
  async describe(): Promise<{ config: Omit<EndpointConfig, "secret">; stats: DeliveryStats } | null> {
    const config = await this.ctx.storage.get<EndpointConfig>(CONFIG);
    if (config === undefined) return null;
    const { secret: _secret, ...visible } = config;
    const stats = (await this.ctx.storage.get<Omit<DeliveryStats, "pending">>(STATS)) ?? {
      delivered: 0,
      failed: 0,
    };
    const pending = (await this.ctx.storage.list({ prefix: DELIVERY })).size;
    return { config: visible, stats: { ...stats, pending } };
  }

  async destroy(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** Queues one event for delivery now; the alarm sends it. False if the endpoint is gone or full. */
  async enqueue(messageId: string, type: string, body: string, nowMs: number): Promise<boolean> {
    const config = await this.ctx.storage.get<EndpointConfig>(CONFIG);
    if (config?.kind !== "delivery") return false;
    if ((await this.ctx.storage.list({ prefix: DELIVERY })).size >= MAX_PENDING) {
      await this.count("failed");
      return false;
    }
    const seq = ((await this.ctx.storage.get<number>(SEQ)) ?? 0) + 1;
    const delivery: Delivery = {
      messageId,
      type,
      body,
      attempts: 0,
      nextAttemptAtMs: nowMs,
      lastStatus: null,
    };
    await this.ctx.storage.put({ [SEQ]: seq, [DELIVERY + String(seq).padStart(12, "0")]: delivery });
    await this.scheduleNext();
    return true;
  }

  /**
   * Checks an incoming trigger: a trigger endpoint exists here, the Standard Webhooks signature and
   * timestamp are valid, and the message id is new (then it is remembered). Atomic: the object
   * handles one call at a time, and nothing is awaited between the replay check and the write.
   */
  async verifyTrigger(
    headers: Record<string, string>,
    body: ArrayBuffer,
    nowMs: number,
  ): Promise<TriggerCheck> {
    const config = await this.ctx.storage.get<EndpointConfig>(CONFIG);
    if (config?.kind !== "trigger") return { ok: false, reason: "unknown-endpoint" };
    const result = await verifyWebhook(
      config.secret,
      new Headers(headers),
      new Uint8Array(body),
      Math.floor(nowMs / 1000),
    );
    if (!result.ok) return result;
    if (!(await this.claim(result.id, nowMs))) return { ok: false, reason: "replayed" };
    return { ok: true, owner: config.owner, messageId: result.id };
  }

  /** Records a message id as received; false if it already was (a replay). */
  async claim(messageId: string, nowMs: number): Promise<boolean> {
    const key = SEEN + messageId;
    const seenUntil = await this.ctx.storage.get<number>(key);
    if (seenUntil !== undefined && seenUntil > nowMs) return false;
    await this.ctx.storage.put(key, nowMs + SEEN_TTL_MS);
    await this.scheduleNext();
    return true;
  }

  /** Forgets a claimed id whose processing failed, so the sender's retry (same id) is accepted. */
  async release(messageId: string): Promise<void> {
    await this.ctx.storage.delete(SEEN + messageId);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const config = await this.ctx.storage.get<EndpointConfig>(CONFIG);
    const due = [...(await this.ctx.storage.list<Delivery>({ prefix: DELIVERY })).entries()]
      .filter(([, d]) => d.nextAttemptAtMs <= now)
      .slice(0, BATCH);
    for (const [key, delivery] of due) {
      if (config?.url == null) break;
      await this.attempt(config, key, delivery, now);
    }
    for (const [key, until] of await this.ctx.storage.list<number>({ prefix: SEEN })) {
      if (until <= now) await this.ctx.storage.delete(key);
    }
    await this.scheduleNext();
  }

  private async attempt(
    config: EndpointConfig,
    key: string,
    delivery: Delivery,
    nowMs: number,
  ): Promise<void> {
    const headers = await signWebhook(config.secret, delivery.messageId, nowMs / 1000, delivery.body);
    let status: number | null = null;
    try {
      const response = await fetch(config.url!, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": "cce4long-webhooks/1" },
        body: delivery.body,
        // A redirect could lead a delivery somewhere the owner did not register.
        redirect: "manual",
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
    } catch {
      status = null;
    }
    if (status !== null && status >= 200 && status < 300) {
      await this.ctx.storage.delete(key);
      await this.count("delivered");
      return;
    }
    const attempts = delivery.attempts + 1;
    // 410 Gone: the receiver says this endpoint will never take it (Standard Webhooks); stop now.
    const delay = status === 410 ? null : retryDelayMs(attempts);
    if (delay === null) {
      await this.ctx.storage.delete(key);
      await this.count("failed");
      console.warn(
        JSON.stringify({
          level: "warn",
          event: "webhook.gave-up",
          endpoint: config.id,
          messageId: delivery.messageId,
          attempts,
          status,
        }),
      );
      return;
    }
    await this.ctx.storage.put(key, {
      ...delivery,
      attempts,
      nextAttemptAtMs: nowMs + delay,
      lastStatus: status,
    });
  }

  private async count(field: "delivered" | "failed"): Promise<void> {
    const stats = (await this.ctx.storage.get<Omit<DeliveryStats, "pending">>(STATS)) ?? {
      delivered: 0,
      failed: 0,
    };
    await this.ctx.storage.put(STATS, { ...stats, [field]: stats[field] + 1 });
  }

  /** The alarm goes off at the earliest pending attempt or replay-cache expiry; none if nothing waits. */
  private async scheduleNext(): Promise<void> {
    let next = Number.POSITIVE_INFINITY;
    for (const d of (await this.ctx.storage.list<Delivery>({ prefix: DELIVERY })).values()) {
      next = Math.min(next, d.nextAttemptAtMs);
    }
    for (const until of (await this.ctx.storage.list<number>({ prefix: SEEN })).values())
      next = Math.min(next, until);
    if (next === Number.POSITIVE_INFINITY) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}

export { MAX_ATTEMPTS };

export function endpointStub(namespace: DurableObjectNamespace<WebhookEndpointStore>, name: string) {
  return namespace.get(namespace.idFromName(name));
}

/** The replay cache of the Privacy Plane's event channel lives in an endpoint object of its own. */
export const PRIVACY_PLANE_EVENTS_CHANNEL = "internal:privacy-plane-events";
