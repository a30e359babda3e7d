/**
 * The index of one owner's webhook endpoints, in a Durable Object per wallet address (runs in
 * workerd): what event fan-out and GET /v1/webhooks read. The endpoints' own state (secret,
 * deliveries) lives in WebhookEndpointStore. Storage keys: functions/storage-schema.md.
 */

import { DurableObject } from "cloudflare:workers";
import type { WebhookEventFilter } from "@cce4long/protocol";

/** At most this many endpoints per owner, so fan-out stays a bounded amount of work. */
export const MAX_ENDPOINTS_PER_OWNER = 20;

export interface DirectoryEntry {
  id: string;
  kind: "delivery" | "trigger";
  role: "consumer" | "provider";
  /** Provider endpoints are scoped to one dataset; consumer endpoints to none. */
  datasetId: string | null;
  events: WebhookEventFilter[];
  createdAt: string;
}

const PREFIX = "endpoint:";

export class WebhookDirectory extends DurableObject {
  /** Adds the entry unless the owner already has the maximum; false then. */
  async add(entry: DirectoryEntry): Promise<boolean> {
    const existing = await this.ctx.storage.list({ prefix: PREFIX });
    if (existing.size >= MAX_ENDPOINTS_PER_OWNER) return false;
    await this.ctx.storage.put(PREFIX + entry.id, entry);
    return true;
  }

  async list(): Promise<DirectoryEntry[]> {
    const entries = await this.ctx.storage.list<DirectoryEntry>({ prefix: PREFIX });
    return [...entries.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(id: string): Promise<DirectoryEntry | null> {
    return (await this.ctx.storage.get<DirectoryEntry>(PREFIX + id)) ?? null;
  }

  async remove(id: string): Promise<boolean> {
    return this.ctx.storage.delete(PREFIX + id);
  }
}

export function directoryStub(namespace: DurableObjectNamespace<WebhookDirectory>, owner: string) {
  return namespace.get(namespace.idFromName(`owner:${owner.toLowerCase()}`));
}
