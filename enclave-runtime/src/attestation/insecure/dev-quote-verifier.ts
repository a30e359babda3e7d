/**
 * INSECURE development QuoteVerifier (runs in the local Privacy Plane only): accepts the development
 * evidence format of protocol/src/attestation/dev-evidence.ts, which anyone can forge. It exists so
 * the same key-release path runs on machines without TDX. It cannot be built outside development.
 */
import { Cce4longError } from "@cce4long/protocol";
import { type DevEvidence, decodeDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { measurementId } from "@cce4long/protocol/attestation/measurement-id";
import { ATTESTATION_FAILURE, attestationRejected } from "../attestation-error";
import type { DeploymentKind, QuoteVerifier, VerifiedReport, VerifyOptions } from "../quote-verifier";
import { ensureValidNow } from "../tdx/tdx-quote-verifier";

export interface DevQuoteVerifierOptions {
  /** Must be exactly "development"; anything else (including a typo or undefined) throws. */
  deployment: DeploymentKind | string | undefined;
  /** Evidence older than this at "now" is refused, as a real verifier refuses stale collateral. */
  maxAgeMs?: number;
}

/** Clocks of the agent and the Privacy Plane may differ a little, even on one machine. */
const CLOCK_SKEW_MS = 60_000;

/** The only way to get a development verifier: fails closed on any deployment but "development". */
export function createDevQuoteVerifier(options: DevQuoteVerifierOptions): QuoteVerifier {
  if (options.deployment !== "development") {
    throw new Cce4longError(
      "INSECURE_DEV_REFUSED",
      "The development attestation verifier accepts forgeable evidence; it is refused unless the deployment is development",
      { detail: { deployment: options.deployment ?? null } },
    );
  }
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;

  return {
    async verify(evidence: Uint8Array, { now }: VerifyOptions): Promise<VerifiedReport> {
      ensureValidNow(now);
      let parsed: DevEvidence;
      try {
        parsed = decodeDevEvidence(evidence);
      } catch (error) {
        throw attestationRejected(
          ATTESTATION_FAILURE.DEV_EVIDENCE_INVALID,
          { problem: error instanceof Error ? error.message : String(error) },
          error,
        );
      }
      const age = now.getTime() - Date.parse(parsed.issued_at);
      if (age > maxAgeMs || age < -CLOCK_SKEW_MS) {
        throw attestationRejected(ATTESTATION_FAILURE.DEV_EVIDENCE_INVALID, {
          problem: "development evidence is stale or from the future",
          issuedAt: parsed.issued_at,
          at: now.toISOString(),
        });
      }
      const registers = {
        mrtd: fromHex(parsed.mrtd),
        rtmr0: fromHex(parsed.rtmr0),
        rtmr1: fromHex(parsed.rtmr1),
        rtmr2: fromHex(parsed.rtmr2),
      };
      const zero48 = new Uint8Array(48);
      return {
        teeType: "insecure-dev",
        // There is no TCB to judge; "UpToDate" keeps the type simple. teeType is what tells them apart.
        tcbStatus: "UpToDate",
        advisoryIds: [],
        ...registers,
        rtmr3: fromHex(parsed.rtmr3),
        reportData: fromHex(parsed.report_data),
        measurementId: measurementId(registers),
        mrConfigId: zero48,
        mrOwner: zero48.slice(),
        mrOwnerConfig: zero48.slice(),
        tdAttributes: new Uint8Array(8),
        verifiedAt: new Date(now.getTime()),
      };
    },
  };
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
