/**
 * Key release, step 2 (runs inside the TEE): the evidence verifies (DCAP for TDX, at an explicit "now")
 * and comes from a TEE the deployment accepts: production takes Intel TDX only; development also takes
 * the insecure development format, which the verifier itself refuses outside development.
 */
import { ATTESTATION_FAILURE, attestationRejected } from "../attestation/attestation-error";
import type { DeploymentKind, QuoteVerifier, VerifiedReport } from "../attestation/quote-verifier";

export interface EnsureEvidenceVerifiedParameters {
  evidence: Uint8Array;
  verifier: QuoteVerifier;
  deployment: DeploymentKind;
  now: Date;
}

export async function ensureEvidenceVerified(
  params: EnsureEvidenceVerifiedParameters,
): Promise<VerifiedReport> {
  const report = await params.verifier.verify(params.evidence, { now: params.now });
  // Belt and braces: even a misbuilt verifier cannot let forgeable evidence through in production.
  const accepted = params.deployment === "production" ? ["tdx"] : ["tdx", "insecure-dev"];
  if (!accepted.includes(report.teeType)) {
    throw attestationRejected(ATTESTATION_FAILURE.QUOTE_UNSUPPORTED, {
      teeType: report.teeType,
      deployment: params.deployment,
    });
  }
  return report;
}
