/**
 * ensureEvidenceVerified: verified evidence passes; a verifier failure stays ATTESTATION_INVALID; forgeable
 * development evidence is refused in production even if a verifier let it through (runs in Node).
 */
import { describe, expect, it } from "vitest";
import { createDevQuoteVerifier } from "../attestation/insecure/dev-quote-verifier";
import type { QuoteVerifier } from "../attestation/quote-verifier";
import { ensureEvidenceVerified } from "./ensure-evidence-verified";
import { devEvidence } from "./test-support";

const now = new Date();
const verifier = createDevQuoteVerifier({ deployment: "development" });

describe("ensureEvidenceVerified", () => {
  it("returns the verified report of development evidence in a development deployment", async () => {
    const reportData = new Uint8Array(64).fill(7);
    const report = await ensureEvidenceVerified({
      evidence: devEvidence(reportData, now),
      verifier,
      deployment: "development",
      now,
    });
    expect(report.teeType).toBe("insecure-dev");
    expect(Buffer.from(report.reportData)).toEqual(Buffer.from(reportData));
  });

  it("error: evidence the verifier rejects (garbage, stale)", async () => {
    for (const evidence of [
      new Uint8Array([1, 2, 3]),
      devEvidence(new Uint8Array(64), new Date(now.getTime() - 3_600_000)),
    ]) {
      await expect(
        ensureEvidenceVerified({ evidence, verifier, deployment: "development", now }),
      ).rejects.toMatchObject({
        code: "ATTESTATION_INVALID",
        message: "Attestation rejected",
      });
    }
  });

  it("error: an insecure-dev report in production, whatever the verifier said", async () => {
    const lax: QuoteVerifier = { verify: (evidence, options) => verifier.verify(evidence, options) };
    await expect(
      ensureEvidenceVerified({
        evidence: devEvidence(new Uint8Array(64), now),
        verifier: lax,
        deployment: "production",
        now,
      }),
    ).rejects.toMatchObject({
      code: "ATTESTATION_INVALID",
      detail: { reason: "QUOTE_UNSUPPORTED", teeType: "insecure-dev" },
    });
  });
});
