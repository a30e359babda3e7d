/**
 * Maps Compute Engine failures to cce4long's stable compute error codes (runs inside the TEE, Privacy
 * Plane). GCE fails in two places: the HTTP call itself (google-gax GoogleError: gRPC `code`,
 * `httpStatusCode`, `reason`) and, after an accepted call, the zone operation (`error.errors[].code`).
 * Caller-visible messages are fixed; the provider's own words go to `detail` for the log.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { protos } from "@google-cloud/compute";
import type { ComputeErrorCode } from "../launcher";

/** The gRPC status codes google-gax reports (google-gax `Status`). */
const GRPC = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export type GceFailureKind = "not_found" | ComputeErrorCode;

const MESSAGES: Record<ComputeErrorCode, string> = {
  COMPUTE_QUOTA_EXCEEDED: "Compute quota exceeded for the job VM",
  COMPUTE_CAPACITY_UNAVAILABLE: "No capacity for the job VM in the configured zone",
  COMPUTE_ALREADY_LAUNCHED: "A VM for this job already exists",
  COMPUTE_REQUEST_REJECTED: "Compute Engine rejected the job VM request",
  COMPUTE_PROVIDER_UNAVAILABLE: "Compute Engine did not answer in time",
};

const CAPACITY_CODES = new Set([
  "ZONE_RESOURCE_POOL_EXHAUSTED",
  "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS",
  "RESOURCE_POOL_EXHAUSTED",
]);
const QUOTA = /quota[^.]*exceeded|QUOTA_EXCEEDED|quotaExceeded|rateLimitExceeded/i;
const CAPACITY = /RESOURCE_POOL_EXHAUSTED|does not have enough resources/i;
const ALREADY_EXISTS = /already exists|alreadyExists/i;

interface GaxLikeError {
  code?: unknown;
  httpStatusCode?: unknown;
  reason?: unknown;
  message?: unknown;
}

/** Classifies an error thrown by an InstancesClient / ZoneOperationsClient call. */
export function classifyCallError(error: unknown): GceFailureKind {
  const e = (typeof error === "object" && error !== null ? error : {}) as GaxLikeError;
  const code = typeof e.code === "number" ? e.code : undefined;
  const http = typeof e.httpStatusCode === "number" ? e.httpStatusCode : undefined;
  const text = `${typeof e.reason === "string" ? e.reason : ""} ${typeof e.message === "string" ? e.message : ""}`;

  if (code === GRPC.NOT_FOUND || http === 404) return "not_found";
  // google-gax maps HTTP 409 to ABORTED, so "already exists" is recognised by its words as well.
  if (code === GRPC.ALREADY_EXISTS || ALREADY_EXISTS.test(text)) return "COMPUTE_ALREADY_LAUNCHED";
  if (CAPACITY.test(text)) return "COMPUTE_CAPACITY_UNAVAILABLE";
  if (code === GRPC.RESOURCE_EXHAUSTED || http === 429 || QUOTA.test(text)) return "COMPUTE_QUOTA_EXCEEDED";
  if (
    code === GRPC.DEADLINE_EXCEEDED ||
    code === GRPC.UNAVAILABLE ||
    code === GRPC.INTERNAL ||
    code === GRPC.ABORTED ||
    code === GRPC.CANCELLED ||
    (http !== undefined && http >= 500) ||
    // No status at all: the request never got an answer (DNS, TLS, reset connection).
    (code === undefined && http === undefined)
  ) {
    return "COMPUTE_PROVIDER_UNAVAILABLE";
  }
  return "COMPUTE_REQUEST_REJECTED";
}

/** Classifies a finished zone operation that carries `error.errors[]`. */
export function classifyOperationError(error: protos.google.cloud.compute.v1.IError): GceFailureKind {
  const codes = (error.errors ?? []).map((item) => item.code ?? "");
  if (codes.some((c) => c === "RESOURCE_NOT_FOUND")) return "not_found";
  if (codes.some((c) => c === "RESOURCE_ALREADY_EXISTS" || c === "alreadyExists"))
    return "COMPUTE_ALREADY_LAUNCHED";
  if (codes.some((c) => CAPACITY_CODES.has(c))) return "COMPUTE_CAPACITY_UNAVAILABLE";
  if (codes.some((c) => c === "QUOTA_EXCEEDED" || c === "RATE_LIMIT_EXCEEDED"))
    return "COMPUTE_QUOTA_EXCEEDED";
  return "COMPUTE_REQUEST_REJECTED";
}

/** The Cce4longError for a failure kind; `detail` holds what GCE said, for logs only. */
export function computeError(
  kind: ComputeErrorCode,
  detail: Record<string, unknown>,
  cause?: unknown,
): Cce4longError {
  return new Cce4longError(kind, MESSAGES[kind], cause === undefined ? { detail } : { detail, cause });
}

/** Replaces every occurrence of a secret (the job credential) in provider text, which may echo bad values. */
function redact(text: unknown, secrets: readonly string[]): unknown {
  if (typeof text !== "string") return text;
  return secrets.reduce((out, secret) => (secret === "" ? out : out.split(secret).join("[redacted]")), text);
}

/** Log-safe summary of a thrown provider error: its status and its message with secrets removed. */
export function describeCallError(error: unknown, secrets: readonly string[] = []): Record<string, unknown> {
  if (typeof error !== "object" || error === null) return { error: redact(String(error), secrets) };
  const e = error as GaxLikeError;
  return {
    grpcCode: e.code,
    httpStatus: e.httpStatusCode,
    reason: e.reason,
    providerMessage: redact(e.message, secrets),
  };
}

export function describeOperationError(
  error: protos.google.cloud.compute.v1.IError,
  secrets: readonly string[] = [],
): Record<string, unknown> {
  return {
    operationErrors: (error.errors ?? []).map(({ code, message }) => ({
      code,
      message: redact(message, secrets),
    })),
  };
}
