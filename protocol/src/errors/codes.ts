/**
 * The one list of stable error codes, shared by every part of cce4long (runs anywhere).
 *
 * A code never changes meaning once it has landed: clients, the CLI's exit codes and the
 * problem+json `code` field rely on it. Add new codes in the section of the part that raises them.
 */
export const ERROR_CODES = {
  // --- generic / transport -------------------------------------------------------------------
  INTERNAL: { status: 500, title: "Internal error" },
  BAD_REQUEST: { status: 400, title: "Malformed request" },
  VALIDATION_FAILED: { status: 422, title: "Request failed validation" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Request body too large" },
  NOT_FOUND: { status: 404, title: "Not found" },
  CONFLICT: { status: 409, title: "Conflict" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  UNAVAILABLE: { status: 503, title: "Service unavailable" },
  CONFIG_INVALID: { status: 500, title: "Configuration invalid" },

  // --- auth (edge API) -----------------------------------------------------------------------
  AUTH_REQUIRED: { status: 401, title: "Authentication required" },
  AUTH_INVALID: { status: 401, title: "Authentication failed" },
  AUTH_FORBIDDEN: { status: 403, title: "Not allowed" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },

  // --- chain ---------------------------------------------------------------------------------
  CHAIN_UNREACHABLE: { status: 503, title: "Chain unreachable" },
  CHAIN_REVERTED: { status: 409, title: "Chain call reverted" },
  RENTAL_INACTIVE: { status: 403, title: "No active rental" },

  // --- sealing / encrypted file format -------------------------------------------------------
  SEAL_FORMAT_INVALID: { status: 422, title: "Not a cce4long encrypted file" },
  SEAL_VERSION_UNSUPPORTED: { status: 422, title: "Unsupported encrypted file version" },
  SEAL_INTEGRITY: { status: 422, title: "Integrity check failed" },
  SEAL_KEY_INVALID: { status: 500, title: "Key invalid" },

  // --- keys / attestation / key release (Privacy Plane) --------------------------------------
  KEY_PROVIDER_FAILED: { status: 503, title: "Key provider failed" },
  ATTESTATION_INVALID: { status: 403, title: "Attestation rejected" },
  ATTESTER_FAILED: { status: 503, title: "Attestation evidence could not be produced" },
  KEY_RELEASE_DENIED: { status: 403, title: "Key release denied" },

  // --- keys: versions, rotation, wrapping (sealing/src/keys, sealing/src/hpke, ecdhe-wrap) ----
  KEY_VERSION_UNKNOWN: { status: 404, title: "Key version unknown" },
  KEY_VERSION_RETIRED: { status: 410, title: "Key version retired" },
  KEY_ROOT_CHANGED: { status: 500, title: "Derived key does not match its recorded fingerprint" },
  KEY_UNWRAP_FAILED: { status: 422, title: "Wrapped key could not be opened" },
  INSECURE_DEV_REFUSED: { status: 500, title: "Insecure development component refused outside development" },

  // --- jobs / dispatch -----------------------------------------------------------------------
  JOB_NOT_FOUND: { status: 404, title: "Job not found" },
  JOB_INVALID_STATE: { status: 409, title: "Job is not in a state that allows this" },

  // --- edge API: job queue, Privacy Plane forwards, webhooks (functions/) --------------------
  QUEUE_UNAVAILABLE: { status: 503, title: "Job queue unavailable" },
  PRIVACY_PLANE_UNAVAILABLE: { status: 503, title: "Privacy Plane unavailable" },
  RESULT_UNAVAILABLE: { status: 503, title: "Result could not be read from storage" },
  WEBHOOK_SIGNATURE_INVALID: { status: 401, title: "Webhook signature invalid" },
  WEBHOOK_REPLAYED: { status: 409, title: "Webhook message already received" },

  // --- compute launcher (Privacy Plane -> Computing Plane VMs, enclave-runtime/src/compute) ---
  COMPUTE_QUOTA_EXCEEDED: { status: 503, title: "Compute quota exceeded" },
  COMPUTE_CAPACITY_UNAVAILABLE: { status: 503, title: "No compute capacity available" },
  COMPUTE_ALREADY_LAUNCHED: { status: 409, title: "A VM for this job already exists" },
  COMPUTE_REQUEST_REJECTED: { status: 502, title: "Compute provider rejected the request" },
  COMPUTE_PROVIDER_UNAVAILABLE: { status: 503, title: "Compute provider unavailable" },

  // --- Computing Plane lower layer: ranged reads of the dataset's objects (cvm-image/src/fuse) ---
  LOWER_LAYER_UNAVAILABLE: { status: 502, title: "The dataset's objects could not be read" },
  LOWER_LAYER_RESPONSE_INVALID: {
    status: 502,
    title: "The object store's answer to a ranged read was refused",
  },
  EGRESS_SETUP_FAILED: { status: 500, title: "The job VM's firewall could not be opened to an endpoint" },

  // --- output gate ---------------------------------------------------------------------------
  GATE_REJECTED: { status: 403, title: "Output rejected by the gate" },
  GATE_SCAN_FAILED: { status: 500, title: "The Output Gate's scan failed (no decision was made)" },

  // --- dataset policies (Privacy Plane, enclave-runtime/src/policies) --------------------------
  POLICY_STATE_CORRUPT: { status: 500, title: "The remembered dataset policy state is corrupt" },

  // --- review (Privacy Plane, enclave-runtime/src/review) --------------------------------------
  OUTPUT_VAULT_CORRUPT: { status: 500, title: "An output set held for review failed its integrity check" },

  // --- manifests -----------------------------------------------------------------------------
  MANIFEST_INVALID: { status: 422, title: "Result Manifest failed verification" },

  // --- uploads and ingest (edge API uploads, Privacy Plane ingest, docs/upload-envelope.md) -----
  UPLOAD_ENVELOPE_INVALID: { status: 422, title: "Upload envelope invalid" },
  UPLOAD_STATE_INVALID: { status: 409, title: "Upload session is not in a state that allows this" },
  UPLOAD_SIGNATURE_INVALID: { status: 422, title: "Upload not signed by the dataset's provider as staged" },
  DATASET_MANIFEST_INVALID: { status: 422, title: "Dataset manifest failed verification" },
  OBJECT_STORE_FAILED: { status: 502, title: "Object store request failed" },

  // --- auditability: algorithm records, transparency log, reproducible builds (issue 9) ---------
  ALGORITHM_RECORD_INVALID: { status: 422, title: "Algorithm record failed verification" },
  TRANSPARENCY_PROOF_INVALID: { status: 422, title: "Transparency log proof failed verification" },
  TRANSPARENCY_LOG_INVALID: { status: 500, title: "Transparency log store is inconsistent" },
  AUDIT_CHECK_FAILED: { status: 422, title: "An audited record did not verify" },

  // --- local platform (development only) -----------------------------------------------------
  PLATFORM_PORT_IN_USE: { status: 500, title: "Port already in use" },
  PLATFORM_ALREADY_RUNNING: { status: 500, title: "Local platform already running" },
  PLATFORM_SERVICE_FAILED: { status: 500, title: "Service failed to start" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
