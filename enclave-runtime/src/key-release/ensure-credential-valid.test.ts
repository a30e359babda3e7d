/**
 * ensureCredentialValid: our signature, inside its validity window, nonce never consumed (runs in Node).
 */
import { describe, expect, it } from "vitest";
import { InMemoryNonceStore } from "../credentials/nonce-store";
import { ensureCredentialValid } from "./ensure-credential-valid";
import { TEST_DOMAIN, testCredential, testIssuer, testJob } from "./test-support";

const issuer = testIssuer();
const now = new Date("2026-11-21T10:00:00Z");

async function check(credential: string, at = now, nonces = new InMemoryNonceStore()) {
  return ensureCredentialValid({ credential, domain: TEST_DOMAIN, issuer: issuer.address, nonces, now: at });
}

describe("ensureCredentialValid", () => {
  it("returns the claims of a fresh credential of ours", async () => {
    const { credential, claims } = await testCredential(issuer.privateKey, testJob(), now);
    expect(await check(credential)).toEqual(claims);
  });

  it("error: expired at its expiry second", async () => {
    const { credential } = await testCredential(issuer.privateKey, testJob(), now, 600);
    await expect(check(credential, new Date(now.getTime() + 600_000))).rejects.toMatchObject({
      code: "KEY_RELEASE_DENIED",
      message: "Key release denied",
      detail: { reason: "CREDENTIAL_EXPIRED" },
    });
  });

  it("error: issued in the future beyond clock skew", async () => {
    const { credential } = await testCredential(
      issuer.privateKey,
      testJob(),
      new Date(now.getTime() + 3_600_000),
    );
    await expect(check(credential)).rejects.toMatchObject({ detail: { reason: "CREDENTIAL_NOT_YET_VALID" } });
  });

  it("error: a nonce already consumed is a replay", async () => {
    const { credential, claims } = await testCredential(issuer.privateKey, testJob(), now);
    const nonces = new InMemoryNonceStore();
    nonces.consume(claims.nonce, now.getTime() + 600_000);
    await expect(check(credential, now, nonces)).rejects.toMatchObject({
      detail: { reason: "CREDENTIAL_REPLAYED" },
    });
  });

  it("error: a credential minted by another key", async () => {
    const { credential } = await testCredential(testIssuer().privateKey, testJob(), now);
    await expect(check(credential)).rejects.toMatchObject({
      detail: { reason: "CREDENTIAL_SIGNATURE_INVALID" },
    });
  });
});
