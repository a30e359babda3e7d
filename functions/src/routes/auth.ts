/**
 * Sign-in with Ethereum routes (runs in workerd): nonce, verify, and the current session.
 */
import {
  NonceResponseSchema,
  SessionResponseSchema,
  TokenResponseSchema,
  VerifyRequestSchema,
} from "@cce4long/protocol";
import { Hono } from "hono";
import { chainRoleVerifier } from "../auth/role-verifier";
import { issueNonce, verifySignIn } from "../auth/sign-in";
import { hubReader } from "../chain/hub-reader";
import type { AppEnv } from "../env";
import { requireClaims, requireRole } from "../middleware/auth";
import { jsonBody } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";

const nonce = defineOperation({
  method: "post",
  path: "/v1/auth/nonce",
  operationId: "createNonce",
  summary: "Get a single-use nonce for a Sign-In with Ethereum message",
  tag: "auth",
  responses: { 200: { description: "A fresh nonce and when it expires", schema: NonceResponseSchema } },
});

const verify = defineOperation({
  method: "post",
  path: "/v1/auth/verify",
  operationId: "verifySignIn",
  summary: "Exchange a signed EIP-4361 message for a short-lived token",
  description:
    "The message's domain and chain id must match this service, its nonce must come from /v1/auth/nonce " +
    "and is used up by this call, and the signature must recover to the message's address. The token is " +
    "scoped to one role (consumer, or provider/reviewer of one dataset, checked on-chain) and one audience.",
  tag: "auth",
  body: VerifyRequestSchema,
  responses: { 200: { description: "The access token", schema: TokenResponseSchema } },
  errors: ["AUTH_INVALID", "AUTH_FORBIDDEN", "CHAIN_UNREACHABLE"],
});

const session = defineOperation({
  method: "get",
  path: "/v1/auth/session",
  operationId: "getSession",
  summary: "Describe the token sent with this request",
  tag: "auth",
  roles: ["consumer", "provider", "reviewer"],
  responses: { 200: { description: "Who the token speaks for", schema: SessionResponseSchema } },
});

export const authOperations = [nonce, verify, session];

export const authRoutes = new Hono<AppEnv>()
  .post(honoPath(nonce), async (c) => c.json(await issueNonce(c.env, c.var.config, Date.now())))
  .post(honoPath(verify), jsonBody(VerifyRequestSchema), async (c) => {
    const request = c.req.valid("json");
    return c.json(
      await verifySignIn(
        request,
        c.env,
        c.var.config,
        chainRoleVerifier(hubReader(c.var.config)),
        Date.now(),
      ),
    );
  })
  .get(honoPath(session), requireRole(["consumer", "provider", "reviewer"]), (c) => {
    const claims = requireClaims(c);
    return c.json({
      address: claims.sub,
      role: claims.role,
      audience: claims.aud,
      chainId: claims.chainId,
      issuedAt: new Date(claims.iat * 1000).toISOString(),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    });
  });
