/**
 * Per-session access tokens (runs inside the TEE): 32 random bytes given once to the consumer who opened
 * the session; only their SHA-256 is kept, and presented tokens are compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export function newAccessToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashAccessToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function accessTokenMatches(presented: string | undefined, expectedHash: Buffer): boolean {
  if (presented === undefined || presented.length === 0 || presented.length > 256) return false;
  return timingSafeEqual(hashAccessToken(presented), expectedHash);
}
