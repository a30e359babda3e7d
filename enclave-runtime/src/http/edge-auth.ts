/**
 * Authenticates calls the edge API forwards to the Privacy Plane (runs inside the TEE): the bearer
 * PRIVACY_PLANE_API_TOKEN compared in constant time (as SHA-256 digests, so lengths never leak), and
 * the caller the edge names in x-cce4long-caller. Without a configured token (development only,
 * enforced by config.ts) any caller is let through.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import type { MiddlewareHandler } from "hono";

export const CALLER_HEADER = "x-cce4long-caller";

export function requireEdgeToken(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (c, next) => {
    if (expected !== undefined) {
      const header = c.req.header("authorization") ?? "";
      const presented = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : "";
      if (!timingSafeEqual(digest(presented), expected)) {
        throw new Cce4longError("AUTH_INVALID", "Authentication failed", { detail: { path: c.req.path } });
      }
    }
    await next();
  };
}

/** The address the edge authenticated, lower case; AUTH_REQUIRED when absent or malformed. */
export function callerOf(header: string | undefined): `0x${string}` {
  if (header === undefined || !/^0x[0-9a-fA-F]{40}$/.test(header)) {
    throw new Cce4longError("AUTH_REQUIRED", "Authentication required");
  }
  return header.toLowerCase() as `0x${string}`;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
