/**
 * Exit codes of the `cce4long` CLI (runs on the user's machine). Documented in cli/README.md;
 * stable once landed, so scripts can branch on them.
 */
import type { ErrorCode } from "@cce4long/protocol";

export const EXIT = {
  OK: 0,
  /** Unexpected failure (a bug, or a service answering nonsense). */
  INTERNAL: 1,
  /** The command line itself was wrong (unknown flag, missing argument). */
  USAGE: 2,
  /** Input was malformed or failed validation (a file, a key, a manifest). */
  INVALID_INPUT: 3,
  /** A verification failed: integrity, signature, attestation, manifest. */
  VERIFICATION_FAILED: 4,
  /** Not signed in, or not allowed. */
  UNAUTHORIZED: 5,
  /** The thing asked for does not exist. */
  NOT_FOUND: 6,
  /** A service (API, chain, Privacy Plane) could not be reached. */
  UNAVAILABLE: 7,
  /** The request conflicts with current state (e.g. no active rental, job already ended). */
  CONFLICT: 8,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Maps a stable error code to the exit code a script sees. */
export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case "BAD_REQUEST":
    case "VALIDATION_FAILED":
    case "PAYLOAD_TOO_LARGE":
    case "SEAL_FORMAT_INVALID":
    case "SEAL_VERSION_UNSUPPORTED":
    case "SEAL_KEY_INVALID":
    case "CONFIG_INVALID":
      return EXIT.INVALID_INPUT;
    case "SEAL_INTEGRITY":
    case "ATTESTATION_INVALID":
    case "MANIFEST_INVALID":
    case "ALGORITHM_RECORD_INVALID":
    case "TRANSPARENCY_PROOF_INVALID":
    case "TRANSPARENCY_LOG_INVALID":
    case "AUDIT_CHECK_FAILED":
      return EXIT.VERIFICATION_FAILED;
    case "AUTH_REQUIRED":
    case "AUTH_INVALID":
    case "AUTH_FORBIDDEN":
    case "KEY_RELEASE_DENIED":
    case "GATE_REJECTED":
      return EXIT.UNAUTHORIZED;
    case "NOT_FOUND":
    case "JOB_NOT_FOUND":
      return EXIT.NOT_FOUND;
    case "UNAVAILABLE":
    case "CHAIN_UNREACHABLE":
    case "KEY_PROVIDER_FAILED":
    case "RATE_LIMITED":
      return EXIT.UNAVAILABLE;
    case "CONFLICT":
    case "CHAIN_REVERTED":
    case "RENTAL_INACTIVE":
    case "JOB_INVALID_STATE":
    case "PLATFORM_ALREADY_RUNNING":
    case "PLATFORM_PORT_IN_USE":
      return EXIT.CONFLICT;
    default:
      return EXIT.INTERNAL;
  }
}
