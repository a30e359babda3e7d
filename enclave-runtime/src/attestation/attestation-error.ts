/**
 * The one way attestation failures are raised (runs inside the TEE and in the CLI): a generic,
 * caller-visible message with code ATTESTATION_INVALID, and a stable `reason` plus detail for logs.
 */
import { Cce4longError } from "@cce4long/protocol";

/** Stable reasons, for logs and tests. The caller only ever sees "Attestation rejected". */
export const ATTESTATION_FAILURE = {
  /** The bytes are not a quote this verifier understands (truncated, garbage, wrong version). */
  QUOTE_MALFORMED: "QUOTE_MALFORMED",
  /** A well-formed quote of a kind we do not accept (SGX, unknown key type, dev evidence in prod). */
  QUOTE_UNSUPPORTED: "QUOTE_UNSUPPORTED",
  /** The quote, its QE report or the QE hash does not verify: tampered or forged. */
  QUOTE_SIGNATURE_INVALID: "QUOTE_SIGNATURE_INVALID",
  /** The PCK certificate chain does not lead to Intel's root, or is revoked or out of its validity. */
  CERT_CHAIN_INVALID: "CERT_CHAIN_INVALID",
  /** No collateral for this platform (FMSPC/CA), and none could be fetched. */
  COLLATERAL_UNAVAILABLE: "COLLATERAL_UNAVAILABLE",
  /** Collateral that is malformed or whose signatures do not verify. */
  COLLATERAL_INVALID: "COLLATERAL_INVALID",
  /** TCB info or QE identity past its nextUpdate at "now". */
  COLLATERAL_EXPIRED: "COLLATERAL_EXPIRED",
  /** TCB info or QE identity issued after "now" (a clock or collateral problem). */
  COLLATERAL_NOT_YET_VALID: "COLLATERAL_NOT_YET_VALID",
  /** The quoting enclave is not Intel's, or below the QE identity's minimum. */
  QE_IDENTITY_MISMATCH: "QE_IDENTITY_MISMATCH",
  /** The platform matches no TCB level of the collateral (or the collateral is for another FMSPC). */
  TCB_UNMATCHED: "TCB_UNMATCHED",
  /** Intel revoked this platform's TCB level. Never accepted, whatever the policy says. */
  TCB_REVOKED: "TCB_REVOKED",
  /** The TCB status is valid but our policy does not accept it (e.g. OutOfDate by default). */
  TCB_STATUS_REFUSED: "TCB_STATUS_REFUSED",
  /** A debug TD, reserved attribute bits, or SEPT_VE_DISABLE off. */
  TD_ATTRIBUTES_REFUSED: "TD_ATTRIBUTES_REFUSED",
  /** The quote's report_data is not the one this request must carry. */
  REPORT_DATA_MISMATCH: "REPORT_DATA_MISMATCH",
  /** Development evidence that does not decode or verify. */
  DEV_EVIDENCE_INVALID: "DEV_EVIDENCE_INVALID",
} as const;

export type AttestationFailure = (typeof ATTESTATION_FAILURE)[keyof typeof ATTESTATION_FAILURE];

/** The message every attestation failure carries: the caller learns little, the log learns the reason. */
export const ATTESTATION_REJECTED_MESSAGE = "Attestation rejected";

export function attestationRejected(
  reason: AttestationFailure,
  detail: Record<string, unknown> = {},
  cause?: unknown,
): Cce4longError {
  return new Cce4longError("ATTESTATION_INVALID", ATTESTATION_REJECTED_MESSAGE, {
    cause,
    detail: { reason, ...detail },
  });
}

/** Reads the reason back from an error (for logs, the CLI and tests); undefined if it is not ours. */
export function attestationFailureOf(error: unknown): AttestationFailure | undefined {
  if (!(error instanceof Cce4longError) || error.code !== "ATTESTATION_INVALID") return undefined;
  const reason = error.detail?.reason;
  return typeof reason === "string" ? (reason as AttestationFailure) : undefined;
}
