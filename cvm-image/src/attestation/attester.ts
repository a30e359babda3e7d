/**
 * The boot agent's Attester (runs inside the Computing Plane VM): turns the 64-byte report_data
 * (built by protocol/src/attestation/report-data.ts) into evidence the Privacy Plane can verify.
 * Implementations: tdx/ (configfs-tsm, production) and insecure/ (development guest agent).
 */
import { Cce4longError } from "@cce4long/protocol";
import { REPORT_DATA_BYTES } from "@cce4long/protocol/attestation/report-data";

/** "tdx-quote": an Intel TDX DCAP quote. "insecure-dev": the forgeable development format. */
export type EvidenceKind = "tdx-quote" | "insecure-dev";

export interface Evidence {
  kind: EvidenceKind;
  bytes: Uint8Array;
}

export interface Attester {
  /** Throws ATTESTER_FAILED when no evidence can be produced (no TDX, agent down, kernel refusal). */
  attest(reportData: Uint8Array): Promise<Evidence>;
}

export function ensureReportDataLength(reportData: Uint8Array): void {
  if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_BYTES) {
    throw new Cce4longError("VALIDATION_FAILED", `report_data must be exactly ${REPORT_DATA_BYTES} bytes`, {
      detail: { length: reportData?.length },
    });
  }
}

export function attesterFailed(
  problem: string,
  detail: Record<string, unknown> = {},
  cause?: unknown,
): Cce4longError {
  return new Cce4longError("ATTESTER_FAILED", "Attestation evidence could not be produced", {
    cause,
    detail: { problem, ...detail },
  });
}

/** Where a v4 or v5 TDX quote keeps report_data (header, [v5 body descriptor], TD report offset 520). */
export function quoteReportData(quote: Uint8Array): Uint8Array | undefined {
  if (quote.length < 48) return undefined;
  const version = quote[0]! | (quote[1]! << 8);
  const teeType = quote[4]! | (quote[5]! << 8) | (quote[6]! << 16) | (quote[7]! << 24);
  if (teeType !== 0x81 || (version !== 4 && version !== 5)) return undefined;
  const start = 48 + (version === 5 ? 6 : 0) + 520;
  return quote.length >= start + REPORT_DATA_BYTES
    ? quote.subarray(start, start + REPORT_DATA_BYTES)
    : undefined;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
