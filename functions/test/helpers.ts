/**
 * Shared helpers for the edge API's tests inside workerd: requests through SELF, SIWE messages
 * signed with anvil's well-known development keys, and tokens minted with the test secret.
 */

import { SELF } from "cloudflare:test";
import type { Problem, Role } from "@cce4long/protocol";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createSiweMessage, type SiweMessage } from "viem/siwe";
import { expect } from "vitest";
import { signToken, TOKEN_ISSUER, type TokenClaims } from "../src/auth/token";
import { WORKER_TEST_SECRETS } from "./test-secrets";

/** anvil's dev accounts 0 and 1 (public test keys, never used for anything real). */
export const alice = privateKeyToAccount(
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
);
export const bob = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a7412f4cdb7df4a6a8a");

/** What wrangler.toml configures for tests. */
export const DOMAIN = "localhost:8787";
export const CHAIN_ID = 31337;
export const BASE = "http://localhost:8787";

export function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { headers });
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as Problem;
  expect({ status: response.status, code: problem.code }).toEqual({ status, code });
  expect(problem.status).toBe(status);
  expect(problem.type).toBe(`urn:cce4long:error:${code}`);
  return problem;
}

export async function freshNonce(): Promise<string> {
  const response = await post("/v1/auth/nonce", {});
  expect(response.status).toBe(200);
  return ((await response.json()) as { nonce: string }).nonce;
}

export function siweMessage(nonce: string, overrides: Partial<SiweMessage> = {}): string {
  return createSiweMessage({
    domain: DOMAIN,
    address: alice.address,
    statement: "Sign in to cce4long",
    uri: `${BASE}/`,
    version: "1",
    chainId: CHAIN_ID,
    nonce,
    issuedAt: new Date(),
    ...overrides,
  });
}

export async function signedSignIn(
  options: { signer?: typeof alice; message?: Partial<SiweMessage>; nonce?: string } = {},
): Promise<{ message: string; signature: Hex }> {
  const signer = options.signer ?? alice;
  const nonce = options.nonce ?? (await freshNonce());
  const message = siweMessage(nonce, { address: signer.address, ...options.message });
  return { message, signature: await signer.signMessage({ message }) };
}

/** A full sign-in as a consumer; returns the token. */
export async function signInAsConsumer(signer = alice): Promise<string> {
  const response = await post("/v1/auth/verify", await signedSignIn({ signer }));
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/** A token minted directly with the test secret, for roles and times sign-in cannot produce here. */
export function mintTestToken(
  overrides: Partial<TokenClaims> = {},
  secret: string = WORKER_TEST_SECRETS.TOKEN_SECRET,
) {
  const now = Math.floor(Date.now() / 1000);
  const role: Role = { kind: "consumer" };
  return signToken(
    {
      iss: TOKEN_ISSUER,
      sub: alice.address,
      aud: "cce4long-api",
      role,
      chainId: CHAIN_ID,
      iat: now,
      exp: now + 600,
      jti: "test-jti-0123456789abcdef",
      ...overrides,
    },
    secret,
  );
}

/** Two well-formed dataset ids (bytes32). */
export const DATASET_1 = `0x${"11".repeat(32)}` as const;
export const DATASET_2 = `0x${"22".repeat(32)}` as const;
