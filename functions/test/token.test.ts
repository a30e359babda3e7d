/**
 * The access-token format (JWS HS256 with a fixed header) in isolation, inside workerd.
 */
import { describe, expect, it } from "vitest";
import { signToken, TOKEN_ISSUER, type TokenClaims, verifyToken } from "../src/auth/token";

const SECRET = "unit-test-secret-unit-test-secret-0123";
const NOW = 1_800_000_000;
const claims: TokenClaims = {
  iss: TOKEN_ISSUER,
  sub: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  aud: "cce4long-api",
  role: { kind: "provider", datasetId: `0x${"33".repeat(32)}` },
  chainId: 31337,
  iat: NOW,
  exp: NOW + 900,
  jti: "0123456789abcdef0123",
};

const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

describe("verifyToken", () => {
  it("accepts what signToken produced, until exp", async () => {
    const token = await signToken(claims, SECRET);
    expect(await verifyToken(token, SECRET, NOW + 899)).toEqual({ ok: true, claims });
    expect(await verifyToken(token, SECRET, NOW + 900)).toEqual({ ok: false, reason: "expired" });
  });

  it("error: a token issued beyond the allowed clock skew in the future", async () => {
    const token = await signToken({ ...claims, iat: NOW + 61, exp: NOW + 900 }, SECRET);
    expect(await verifyToken(token, SECRET, NOW)).toEqual({ ok: false, reason: "not-yet-valid" });
    const withinSkew = await signToken({ ...claims, iat: NOW + 60 }, SECRET);
    expect((await verifyToken(withinSkew, SECRET, NOW)).ok).toBe(true);
  });

  it("error: alg none or any header other than the fixed HS256 one", async () => {
    const [, payload] = (await signToken(claims, SECRET)).split(".");
    const none = `${b64url('{"alg":"none","typ":"JWT"}')}.${payload}.`;
    expect(await verifyToken(none, SECRET, NOW)).toEqual({ ok: false, reason: "malformed" });
    const spaced = `${b64url('{"alg": "HS256","typ":"JWT"}')}.${payload}.AAAA`;
    expect(await verifyToken(spaced, SECRET, NOW)).toEqual({ ok: false, reason: "malformed" });
  });

  it("error: a MAC in non-canonical base64url or of the wrong length", async () => {
    const token = await signToken(claims, SECRET);
    const [h, p, mac] = token.split(".") as [string, string, string];
    // The last character of a 32-byte MAC carries 4 unused bits; flipping one keeps the bytes.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(mac.at(-1)!);
    const twin = `${mac.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(await verifyToken(`${h}.${p}.${twin}`, SECRET, NOW)).toEqual({ ok: false, reason: "malformed" });
    expect(await verifyToken(`${h}.${p}.${mac.slice(0, -4)}`, SECRET, NOW)).toEqual({
      ok: false,
      reason: "malformed",
    });
  });

  it("error: garbage in place of a token", async () => {
    for (const token of ["", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.@@@.xyz"]) {
      expect(await verifyToken(token, SECRET, NOW)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("error: a correctly signed payload that is not valid claims", async () => {
    const token = await signToken({ ...claims, role: { kind: "admin" } } as unknown as TokenClaims, SECRET);
    expect(await verifyToken(token, SECRET, NOW)).toEqual({ ok: false, reason: "bad-claims" });
  });
});
