/**
 * Bearer-token authentication and role checks for the edge API (runs in workerd).
 * `authenticate` reads a token if one is sent and records the outcome; `requireRole` turns that
 * outcome into a decision for one route. Callers learn little (AUTH_REQUIRED / AUTH_INVALID /
 * AUTH_FORBIDDEN); the precise reason goes to the log.
 */
import { Cce4longError, EDGE_API_AUDIENCE, type RoleKind } from "@cce4long/protocol";
import type { Context, MiddlewareHandler } from "hono";
import { type TokenClaims, type TokenFailure, verifyToken } from "../auth/token";
import type { AppEnv } from "../env";

export type AuthState =
  | { kind: "anonymous" }
  | { kind: "authenticated"; claims: TokenClaims }
  | { kind: "invalid"; reason: TokenFailure | "wrong-audience" | "wrong-chain" | "not-bearer" };

export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("auth", await readAuth(c));
  await next();
};

async function readAuth(c: Context<AppEnv>): Promise<AuthState> {
  const header = c.req.header("authorization");
  if (header === undefined) return { kind: "anonymous" };
  const match = /^Bearer ([A-Za-z0-9._-]{1,4096})$/.exec(header);
  if (match === null) return { kind: "invalid", reason: "not-bearer" };
  const { config } = c.var;
  const result = await verifyToken(match[1]!, config.TOKEN_SECRET, Math.floor(Date.now() / 1000));
  if (!result.ok) return { kind: "invalid", reason: result.reason };
  if (result.claims.aud !== EDGE_API_AUDIENCE) return { kind: "invalid", reason: "wrong-audience" };
  if (result.claims.chainId !== config.CHAIN_ID) return { kind: "invalid", reason: "wrong-chain" };
  return { kind: "authenticated", claims: result.claims };
}

export interface RoleOptions {
  /** For per-dataset roles: the route parameter holding the dataset id the token must be scoped to. */
  datasetParam?: string;
}

/**
 * Lets the request through only with a valid token whose role is one of `kinds`; provider and
 * reviewer tokens must also be for the dataset named by `datasetParam`.
 *
 * @example app.get("/v1/datasets/:id/audit", requireRole(["provider"], { datasetParam: "id" }), handler)
 */
export function requireRole(kinds: RoleKind[], options: RoleOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const claims = requireClaims(c);
    const role = claims.role;
    if (!kinds.includes(role.kind)) {
      throw forbidden(`This needs one of the roles: ${kinds.join(", ")}`, { have: role.kind, need: kinds });
    }
    if (role.kind !== "consumer" && options.datasetParam !== undefined) {
      const wanted = c.req.param(options.datasetParam)?.toLowerCase();
      if (wanted !== role.datasetId) {
        throw forbidden("The token is scoped to another dataset", { have: role.datasetId, need: wanted });
      }
    }
    await next();
  };
}

/** The verified claims of this request; throws AUTH_REQUIRED / AUTH_INVALID otherwise. */
export function requireClaims(c: Context<AppEnv>): TokenClaims {
  const auth = c.var.auth;
  if (auth.kind === "authenticated") return auth.claims;
  if (auth.kind === "anonymous") {
    throw new Cce4longError("AUTH_REQUIRED", "Send a token: Authorization: Bearer <token>");
  }
  throw new Cce4longError("AUTH_INVALID", "The token is invalid or expired", {
    detail: { reason: auth.reason },
  });
}

function forbidden(message: string, detail: Record<string, unknown>): Cce4longError {
  return new Cce4longError("AUTH_FORBIDDEN", message, { detail });
}
