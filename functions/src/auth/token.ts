/**
 * The edge API's access tokens (runs in workerd): a JWS compact serialization (RFC 7515) with a fixed
 * HS256 header, HMAC-SHA256 keyed by TOKEN_SECRET through WebCrypto. Only this service mints and
 * verifies them, so the header is compared as a fixed string and any other `alg` is refused
 * (no algorithm confusion). The MAC is checked with crypto.subtle.verify, which compares in
 * constant time, unlike decoding both MACs and comparing the strings.
 */
import { AddressSchema, AudienceSchema, RoleSchema } from "@cce4long/protocol";
import { z } from "zod";

/** base64url of {"alg":"HS256","typ":"JWT"}. */
const HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
export const TOKEN_ISSUER = "cce4long-edge-api";
/**
 * Clock-skew policy: the edge's clocks are NTP-disciplined, so expiry is exact; a token that claims
 * to be issued more than this far in the future is refused (a sign of a forged or misclocked mint).
 */
export const TOKEN_MAX_FUTURE_IAT_SECONDS = 60;

export const TokenClaimsSchema = z.object({
  iss: z.literal(TOKEN_ISSUER),
  sub: AddressSchema,
  aud: AudienceSchema,
  role: RoleSchema,
  chainId: z.number().int().positive(),
  iat: z.number().int().nonnegative(),
  exp: z.number().int().positive(),
  jti: z.string().min(16),
});
export type TokenClaims = z.infer<typeof TokenClaimsSchema>;

export type TokenFailure = "malformed" | "bad-signature" | "bad-claims" | "expired" | "not-yet-valid";
export type TokenResult = { ok: true; claims: TokenClaims } | { ok: false; reason: TokenFailure };

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

export async function signToken(claims: TokenClaims, secret: string): Promise<string> {
  const body = `${HEADER}.${base64UrlEncode(encoder.encode(JSON.stringify(claims)))}`;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(body));
  return `${body}.${base64UrlEncode(new Uint8Array(mac))}`;
}

/** Checks the MAC first (constant time), then the claims, then the clock. */
export async function verifyToken(token: string, secret: string, nowSeconds: number): Promise<TokenResult> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== HEADER) return { ok: false, reason: "malformed" };
  const [, payload, mac] = parts as [string, string, string];
  const macBytes = base64UrlDecode(mac);
  const payloadBytes = base64UrlDecode(payload);
  // The MAC must also be in canonical form, so that one token has exactly one spelling.
  if (
    macBytes === undefined ||
    payloadBytes === undefined ||
    macBytes.length !== 32 ||
    base64UrlEncode(macBytes) !== mac
  ) {
    return { ok: false, reason: "malformed" };
  }
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    macBytes,
    encoder.encode(`${HEADER}.${payload}`),
  );
  if (!valid) return { ok: false, reason: "bad-signature" };

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(payloadBytes));
  } catch {
    return { ok: false, reason: "bad-claims" };
  }
  const claims = TokenClaimsSchema.safeParse(json);
  if (!claims.success) return { ok: false, reason: "bad-claims" };
  if (nowSeconds >= claims.data.exp) return { ok: false, reason: "expired" };
  if (claims.data.iat > nowSeconds + TOKEN_MAX_FUTURE_IAT_SECONDS)
    return { ok: false, reason: "not-yet-valid" };
  return { ok: true, claims: claims.data };
}

function base64UrlEncode(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict base64url (no padding, no other alphabet); undefined if it is not. */
function base64UrlDecode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
