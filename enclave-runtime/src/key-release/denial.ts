/**
 * Refusals of key release (runs inside the TEE): one stable code for the caller (KEY_RELEASE_DENIED,
 * or ATTESTATION_INVALID from the attestation steps) with a generic message, and a stable reason plus
 * detail for the log. Callers never learn which check failed.
 */
import { Cce4longError } from "@cce4long/protocol";

export const KEY_RELEASE_DENIAL = {
  CREDENTIAL_MALFORMED: "CREDENTIAL_MALFORMED",
  CREDENTIAL_SIGNATURE_INVALID: "CREDENTIAL_SIGNATURE_INVALID",
  CREDENTIAL_EXPIRED: "CREDENTIAL_EXPIRED",
  CREDENTIAL_NOT_YET_VALID: "CREDENTIAL_NOT_YET_VALID",
  CREDENTIAL_REPLAYED: "CREDENTIAL_REPLAYED",
  MEASUREMENT_NOT_ALLOWED: "MEASUREMENT_NOT_ALLOWED",
  MEASUREMENT_NOT_LOGGED: "MEASUREMENT_NOT_LOGGED",
  RENTAL_INACTIVE: "RENTAL_INACTIVE",
  IMAGE_NOT_ALLOWED: "IMAGE_NOT_ALLOWED",
  JOB_UNKNOWN: "JOB_UNKNOWN",
  JOB_STATE: "JOB_STATE",
  JOB_MISMATCH: "JOB_MISMATCH",
  KEY_VERSION_REFUSED: "KEY_VERSION_REFUSED",
  RECORD_REFUSED: "RECORD_REFUSED",
  DATASET_VERSION_UNAVAILABLE: "DATASET_VERSION_UNAVAILABLE",
} as const;

export type KeyReleaseDenial = (typeof KEY_RELEASE_DENIAL)[keyof typeof KEY_RELEASE_DENIAL];

export const KEY_RELEASE_DENIED_MESSAGE = "Key release denied";

export function keyReleaseDenied(
  reason: KeyReleaseDenial,
  detail: Record<string, unknown> = {},
  cause?: unknown,
): Cce4longError {
  return new Cce4longError("KEY_RELEASE_DENIED", KEY_RELEASE_DENIED_MESSAGE, {
    cause,
    detail: { reason, ...detail },
  });
}

/** The stable reason of a refusal (key release or attestation), for logs and tests. */
export function denialReasonOf(error: unknown): string | undefined {
  if (!(error instanceof Cce4longError)) return undefined;
  if (error.code !== "KEY_RELEASE_DENIED" && error.code !== "ATTESTATION_INVALID") return undefined;
  const reason = error.detail?.reason;
  return typeof reason === "string" ? reason : undefined;
}
