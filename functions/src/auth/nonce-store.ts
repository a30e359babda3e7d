/**
 * Single-use SIWE nonces in a Durable Object (runs in workerd). One object per nonce, addressed by
 * the nonce itself, so issue and consume are strongly consistent without any global lock: a Durable
 * Object handles one event at a time, which makes consume (read + delete) atomic.
 * Storage keys: functions/storage-schema.md.
 */
import { DurableObject } from "cloudflare:workers";

const KEY = "nonce";

interface StoredNonce {
  expiresAtMs: number;
}

export type ConsumeResult = "ok" | "unknown" | "expired";

export class NonceStore extends DurableObject {
  /** Records this object's nonce as issued until `expiresAtMs`; an alarm deletes it afterwards. */
  async issue(expiresAtMs: number): Promise<void> {
    await this.ctx.storage.put<StoredNonce>(KEY, { expiresAtMs });
    await this.ctx.storage.setAlarm(expiresAtMs);
  }

  /** Uses up the nonce: true only for the first call before expiry. Deleted either way. */
  async consume(nowMs: number): Promise<ConsumeResult> {
    const stored = await this.ctx.storage.get<StoredNonce>(KEY);
    if (stored === undefined) return "unknown";
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
    return nowMs < stored.expiresAtMs ? "ok" : "expired";
  }

  /** Expired and never used: forget it so storage does not grow with abandoned sign-ins. */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}

export function nonceStub(namespace: DurableObjectNamespace<NonceStore>, nonce: string) {
  return namespace.get(namespace.idFromName(nonce));
}
