/**
 * Job Credentials: minted credentials verify against the issuer, and every alteration, another
 * issuer or another deployment's domain, or a malformed wire form is refused (runs in Node).
 */
import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { decodeCredential, encodeCredential } from "./job-credential";
import { mintJobCredential } from "./mint-credential";
import { InMemoryNonceStore } from "./nonce-store";
import { verifyJobCredential } from "./verify-credential";

const key = `0x${randomBytes(32).toString("hex")}` as Hex;
const issuer = privateKeyToAccount(key).address;
const domain = { chainId: 31337, hub: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
const b32 = (c: string) => `0x${c.repeat(64)}` as Hex;
const scope = {
  jobId: b32("1"),
  datasetId: b32("2"),
  datasetVersion: 3,
  manifestRoot: b32("4"),
  imageDigest: b32("5"),
  specCommitment: b32("6"),
};

async function mint() {
  return mintJobCredential({
    privateKey: key,
    domain,
    scope,
    now: new Date(1_800_000_000_000),
    ttlSeconds: 600,
  });
}

describe("Job Credential", () => {
  it("verifies a minted credential and returns its claims", async () => {
    const { credential, claims } = await mint();
    expect(credential).toMatch(/^jc1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await verifyJobCredential({ credential, domain, issuer })).toEqual(claims);
    expect(claims).toMatchObject({ ...scope, issuedAt: "1800000000", expiresAt: "1800000600" });
    expect(claims.nonce).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("gives every credential a fresh nonce", async () => {
    expect((await mint()).claims.nonce).not.toBe((await mint()).claims.nonce);
  });

  it("error: a claim changed after signing (other job, later expiry)", async () => {
    const { credential } = await mint();
    const { claims, signature } = decodeCredential(credential);
    for (const altered of [
      { ...claims, jobId: b32("9") },
      { ...claims, expiresAt: "1900000000" },
    ]) {
      await expect(
        verifyJobCredential({ credential: encodeCredential(altered, signature), domain, issuer }),
      ).rejects.toMatchObject({
        code: "KEY_RELEASE_DENIED",
        detail: { reason: "CREDENTIAL_SIGNATURE_INVALID" },
      });
    }
  });

  it("error: signed by another key, or for another deployment's hub", async () => {
    const { credential } = await mint();
    const other = privateKeyToAccount(`0x${randomBytes(32).toString("hex")}`).address;
    await expect(verifyJobCredential({ credential, domain, issuer: other })).rejects.toMatchObject({
      detail: { reason: "CREDENTIAL_SIGNATURE_INVALID" },
    });
    const otherHub = { ...domain, hub: "0x0000000000000000000000000000000000000001" as const };
    await expect(verifyJobCredential({ credential, domain: otherHub, issuer })).rejects.toMatchObject({
      detail: { reason: "CREDENTIAL_SIGNATURE_INVALID" },
    });
  });

  it("error: malformed wire forms, with a generic caller message", async () => {
    const { credential } = await mint();
    const [prefix, body] = credential.split(".");
    const bad = [
      "",
      "jc1.abc",
      `jc2.${body}.${credential.split(".")[2]}`,
      `${prefix}.${body}.AAAA`,
      `${prefix}.${Buffer.from("{}").toString("base64url")}.${credential.split(".")[2]}`,
      `${prefix}.${Buffer.from("not json").toString("base64url")}.${credential.split(".")[2]}`,
      `${credential} `,
    ];
    for (const value of bad) {
      await expect(verifyJobCredential({ credential: value, domain, issuer })).rejects.toMatchObject({
        code: "KEY_RELEASE_DENIED",
        message: "Key release denied",
        detail: { reason: "CREDENTIAL_MALFORMED" },
      });
    }
  });
});

describe("nonce store", () => {
  it("consumes a nonce once; the second use is refused", () => {
    const store = new InMemoryNonceStore();
    expect(store.isUsed("0xAB")).toBe(false);
    expect(store.consume("0xAB", Date.now() + 1000)).toBe(true);
    expect(store.isUsed("0xab")).toBe(true);
    expect(store.consume("0xab", Date.now() + 1000)).toBe(false);
  });

  it("forgets nonces only after their credential expired", () => {
    let now = 1_000_000;
    const store = new InMemoryNonceStore({ now: () => now });
    store.consume("0x01", now + 10);
    now += 120_000;
    store.consume("0x02", now + 10);
    expect(store.isUsed("0x01")).toBe(false);
    expect(store.isUsed("0x02")).toBe(true);
    expect(store.size).toBe(1);
  });
});
