/**
 * Sign-in with Ethereum for the edge API (runs in workerd): issue a nonce, then exchange a signed
 * EIP-4361 message for a short-lived role- and audience-scoped token.
 */
import {
  Cce4longError,
  type NonceResponse,
  type Role,
  type TokenResponse,
  type VerifyRequestSchema,
} from "@cce4long/protocol";
import type { z } from "zod";
import type { Config } from "../config";
import type { Bindings } from "../env";
import { nonceStub } from "./nonce-store";
import type { RoleVerifier } from "./role-verifier";
import { checkSiwe } from "./siwe";
import { signToken, TOKEN_ISSUER } from "./token";

/**
 * 32 random bytes from the platform CSPRNG, as hex (EIP-4361 wants alphanumerics, at least 8).
 * Not viem's generateSiweNonce: that one draws from Math.random, which is not a secure source.
 */
function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function issueNonce(env: Bindings, config: Config, nowMs: number): Promise<NonceResponse> {
  const nonce = randomNonce();
  const expiresAtMs = nowMs + config.NONCE_TTL_SECONDS * 1000;
  await nonceStub(env.NONCE_STORE, nonce).issue(expiresAtMs);
  return { nonce, expiresAt: new Date(expiresAtMs).toISOString() };
}

/** A deliberately uninformative failure for anything about the signature or the nonce. */
function signInFailed(reason: string): Cce4longError {
  return new Cce4longError("AUTH_INVALID", "Sign-in failed: the signature or nonce is not valid", {
    detail: { reason },
  });
}

export async function verifySignIn(
  request: z.output<typeof VerifyRequestSchema>,
  env: Bindings,
  config: Config,
  roles: RoleVerifier,
  nowMs: number,
): Promise<TokenResponse> {
  const siwe = await checkSiwe(request.message, request.signature as `0x${string}`, {
    domain: config.SIWE_DOMAIN,
    chainId: config.CHAIN_ID,
    maxAgeMs: config.NONCE_TTL_SECONDS * 1000,
    nowMs,
  });
  if (!siwe.ok) {
    // Domain and chain are public facts about this service; saying which one is wrong helps honest
    // clients and tells an attacker nothing new.
    if (siwe.reason === "wrong-domain") {
      throw new Cce4longError(
        "AUTH_INVALID",
        `Sign-in failed: the message's domain must be ${config.SIWE_DOMAIN}`,
      );
    }
    if (siwe.reason === "wrong-chain") {
      throw new Cce4longError(
        "AUTH_INVALID",
        `Sign-in failed: the message's chain id must be ${config.CHAIN_ID}`,
      );
    }
    if (siwe.reason === "malformed") {
      throw new Cce4longError("AUTH_INVALID", "Sign-in failed: not an EIP-4361 message");
    }
    throw signInFailed(siwe.reason);
  }

  // Checked after the signature so that only the signer can use up their own nonce.
  const consumed = await nonceStub(env.NONCE_STORE, siwe.nonce).consume(nowMs);
  if (consumed !== "ok") throw signInFailed(`nonce ${consumed}`);

  await roles.assertMayHold(siwe.address, request.role);
  return mintToken(siwe.address, request.role, request.audience, config, nowMs);
}

async function mintToken(
  address: `0x${string}`,
  role: Role,
  audience: TokenResponse["audience"],
  config: Config,
  nowMs: number,
): Promise<TokenResponse> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + config.TOKEN_TTL_SECONDS;
  const token = await signToken(
    {
      iss: TOKEN_ISSUER,
      sub: address,
      aud: audience,
      role,
      chainId: config.CHAIN_ID,
      iat,
      exp,
      jti: randomNonce(),
    },
    config.TOKEN_SECRET,
  );
  return {
    token,
    tokenType: "Bearer",
    expiresAt: new Date(exp * 1000).toISOString(),
    address,
    role,
    audience,
  };
}
