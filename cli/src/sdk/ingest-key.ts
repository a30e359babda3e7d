/**
 * Verifies the Privacy Plane's attested ingest key before anything is encrypted to it (runs on the
 * provider's machine), with the same QuoteVerifier code the Privacy Plane uses. A key passes only if
 * the quote verifies, its report_data commits to this key and this caller's nonce under the
 * INGEST_KEY_PUBLICATION purpose, and (for real TDX) its measurement is one the caller expects.
 */
import type { QuoteVerifier, VerifiedReport } from "@cce4long/enclave-runtime/attestation/quote-verifier";
import { Cce4longError, type IngestKey, IngestKeySchema } from "@cce4long/protocol";
import {
  buildReportData,
  REPORT_DATA_PURPOSE,
  reportDataEquals,
} from "@cce4long/protocol/attestation/report-data";

export interface VerifyIngestKeyOptions {
  verifier: QuoteVerifier;
  /** The nonce this client asked for (hex, 32 bytes): proves the quote was made for this request. */
  expectedNonce: string;
  /**
   * Measurement ids (bytes32 hex) of Privacy Plane builds the provider trusts. Required for TDX evidence:
   * a genuine quote from an unknown program proves nothing about what will hold the key.
   */
  allowedMeasurementIds?: readonly string[];
  now?: Date;
}

export interface VerifiedIngestKey {
  publicKey: Uint8Array;
  keyVersion: number;
  report: VerifiedReport;
  /** True for development evidence, which anyone can forge: say so to the user. */
  insecure: boolean;
}

export async function verifyIngestKey(
  value: unknown,
  options: VerifyIngestKeyOptions,
): Promise<VerifiedIngestKey> {
  const parsed = IngestKeySchema.safeParse(value);
  if (!parsed.success) throw rejected("the ingest key response is malformed");
  const key: IngestKey = parsed.data;
  if (key.nonce !== options.expectedNonce.toLowerCase())
    throw rejected("the ingest key was attested for another nonce");
  const publicKey = Uint8Array.from(Buffer.from(key.publicKey, "hex"));
  const expected = buildReportData({
    purpose: REPORT_DATA_PURPOSE.INGEST_KEY_PUBLICATION,
    publicKey,
    nonce: Uint8Array.from(Buffer.from(key.nonce, "hex")),
  });
  const report = await options.verifier.verify(Uint8Array.from(Buffer.from(key.evidence, "hex")), {
    now: options.now ?? new Date(),
  });
  if (!reportDataEquals(report.reportData, expected)) {
    throw rejected("the quote does not commit to this ingest key and nonce");
  }
  if (report.teeType === "tdx") {
    const allowed = (options.allowedMeasurementIds ?? []).map((id) => id.toLowerCase());
    if (!allowed.includes(report.measurementId.toLowerCase())) {
      throw rejected("the quote is from a Privacy Plane build this client does not trust", {
        measurementId: report.measurementId,
      });
    }
  }
  return { publicKey, keyVersion: key.keyVersion, report, insecure: report.teeType === "insecure-dev" };
}

function rejected(message: string, detail: Record<string, unknown> = {}): Cce4longError {
  return new Cce4longError("ATTESTATION_INVALID", message, { detail });
}
