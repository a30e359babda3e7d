/**
 * Key release, step 3 (runs inside the TEE): the quote's report_data commits to exactly this request:
 * the key-release purpose tag, the ephemeral public key the key will be wrapped to, and the credential's
 * nonce. A quote made for another key, nonce or purpose (a replayed or borrowed quote) is refused.
 */
import {
  buildReportData,
  REPORT_DATA_PURPOSE,
  reportDataEquals,
} from "@cce4long/protocol/attestation/report-data";
import { ATTESTATION_FAILURE, attestationRejected } from "../attestation/attestation-error";
import type { VerifiedReport } from "../attestation/quote-verifier";

export interface EnsureReportDataBoundParameters {
  report: Pick<VerifiedReport, "reportData">;
  ephemeralPublicKey: Uint8Array;
  credentialNonce: Uint8Array;
}

export function ensureReportDataBound(params: EnsureReportDataBoundParameters): void {
  const expected = buildReportData({
    purpose: REPORT_DATA_PURPOSE.KEY_RELEASE,
    publicKey: params.ephemeralPublicKey,
    nonce: params.credentialNonce,
  });
  if (!reportDataEquals(params.report.reportData, expected)) {
    throw attestationRejected(ATTESTATION_FAILURE.REPORT_DATA_MISMATCH, {
      ephemeralPublicKey: Buffer.from(params.ephemeralPublicKey).toString("hex"),
    });
  }
}
