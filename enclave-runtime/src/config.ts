/**
 * Configuration of the Privacy Plane (runs inside the TEE). Parsed once, here, from the
 * environment; nothing else reads process.env. A missing or malformed value stops the start with
 * a message naming the variable (never its value: some are secrets).
 */
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";

const Schema = z.object({
  CCE4LONG_DEPLOYMENT: z.enum(["development", "production"]),
  PRIVACY_PLANE_HOST: z.string().default("127.0.0.1"),
  PRIVACY_PLANE_PORT: z.coerce.number().int().min(1).max(65535),
  /** The dstack guest API: a unix socket path (dstack: /var/run/dstack.sock) or an http URL. */
  DSTACK_ENDPOINT: z.string().min(1),
  RPC_URL: z.url(),
  /** The deployment file written by contracts/scripts/deploy.ts (contract addresses). */
  CONTRACTS_DEPLOYMENT_FILE: z.string().min(1),
  /** host:port of the Pub/Sub emulator; unset in production (then Google's endpoint and ADC are used). */
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  PUBSUB_PROJECT: z.string().min(1),
  OBJECT_STORE_ENDPOINT: z.url(),
  OBJECT_STORE_REGION: z.string().default("auto"),
  OBJECT_STORE_ACCESS_KEY_ID: z.string().min(1),
  OBJECT_STORE_SECRET_ACCESS_KEY: z.string().min(1),

  // --- Privacy Mode: dispatch, key release, compute (enclave-runtime/src/{dispatch,key-release,compute}) ---
  /** The URL job VMs call back (key release, outputs); defaults to http://PRIVACY_PLANE_HOST:PORT. */
  PRIVACY_PLANE_PUBLIC_URL: z.url().optional(),
  /** Consume the jobs subscription (SUBSCRIPTIONS.jobs) and launch VMs. */
  DISPATCH_ENABLED: z.enum(["true", "false"]).default("true"),
  /** "local" (boot agent as a child process, development only) or "gce" (Confidential VMs, GCE_* variables). */
  COMPUTE_LAUNCHER: z.enum(["local", "gce"]).optional(),
  /** Local launcher root (datasets/<id>/ lower layer, jobs/, images/); default: compute/ in the stack's state folder. */
  LOCAL_COMPUTE_DIR: z.string().min(1).optional(),
  /** Comma list of folders holding directory images; default: LOCAL_COMPUTE_DIR/images and the repo's examples/. */
  LOCAL_IMAGE_DIRS: z.string().optional(),
  /** Validity of a Job Credential for its key request. */
  CREDENTIAL_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  /** A launched VM that has not asked for its key by then is torn down and failed (Timeout). */
  KEY_RELEASE_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(86_400).default(600),
  /** Beyond the spec's own timeout: boot, mount and output delivery. */
  JOB_GRACE_SECONDS: z.coerce.number().int().min(5).max(86_400).default(300),

  // --- Ingest: end-to-end uploads (enclave-runtime/src/ingest, docs/upload-envelope.md) ---
  /** Consume the ingest subscription (SUBSCRIPTIONS.ingest) and serve GET /v1/ingest-key. */
  INGEST_ENABLED: z.enum(["true", "false"]).default("true"),
  /** Multipart part size for dataset files (bytes, 5 MiB to 512 MiB): memory is about part x (in flight + 1). */
  INGEST_PART_BYTES: z.coerce
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .max(512 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  INGEST_PARTS_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(3),
  /** Where sealed (ciphertext) copies of CSV tables are kept while fingerprints are built; default: the OS temp dir. */
  INGEST_TEMP_DIR: z.string().min(1).optional(),
  /** How often abandoned staging is swept (also once at start); 0 turns the sweeper off. */
  STAGING_SWEEP_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(3600),
  /** A session is swept only this long after it expired (a complete request in flight at expiry finishes first). */
  STAGING_SWEEP_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400)
    .default(3600),

  // --- Output review and result delivery (enclave-runtime/src/{review,manifest,delivery}) ---
  /** Review records and used nonces; on dstack this is the app's encrypted disk. Required in production. */
  PRIVACY_PLANE_STATE_DIR: z.string().min(1).optional(),
  /** The transparency log (one canonical entry per line) whose head is committed on-chain; key release
   * proves each VM measurement against it. Unset: an empty log, so no key is ever released. */
  TRANSPARENCY_LOG_FILE: z.string().min(1).optional(),
  /** Bearer token the edge API presents (compared in constant time). Required in production. */
  PRIVACY_PLANE_API_TOKEN: z.string().min(32).optional(),
  /** Where review events go (POST /v1/internal/events); with PRIVACY_PLANE_EVENTS_SECRET, else only logged. */
  EDGE_API_URL: z.url().optional(),
  PRIVACY_PLANE_EVENTS_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
    .optional(),
  /** An output set in needs-review longer than this is rejected or escalated (REVIEW_TIMEOUT_ACTION). */
  REVIEW_TIMEOUT_HOURS: z.coerce.number().positive().max(8760).default(72),
  REVIEW_TIMEOUT_ACTION: z.enum(["reject", "escalate"]).default("reject"),
  REVIEW_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Memory the gate may keep loaded fingerprint indexes in (review/index-cache.ts); 0 keeps none. */
  GATE_INDEX_CACHE_MIB: z.coerce.number().int().min(0).max(65_536).default(256),

  // --- Explore Mode: Jupyter sessions over desensitized samples (enclave-runtime/src/explore) ---
  /** Serve /v1/explore/sessions (needs bubblewrap, FUSE and Debian's jupyter-notebook on this machine). */
  EXPLORE_ENABLED: z.enum(["true", "false"]).default("true"),
  /** Parent folder of the sessions' folders (sample ciphertext, FUSE mountpoint, notebooks); default: OS temp dir. */
  EXPLORE_STATE_DIR: z.string().min(1).optional(),
  /** A session is closed (TimeLimit) this long after it opened. */
  EXPLORE_SESSION_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  EXPLORE_MAX_SESSIONS: z.coerce.number().int().min(1).max(256).default(4),
  EXPLORE_JUPYTER_BIN: z.string().min(1).default("/usr/bin/jupyter-notebook"),
});

export type PrivacyPlaneConfig = z.infer<typeof Schema>;

export function parseConfig(env: Record<string, string | undefined>): PrivacyPlaneConfig {
  const parsed = Schema.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(", ");
    throw new Cce4longError("CONFIG_INVALID", `Privacy Plane configuration invalid or missing: ${names}`);
  }
  if (parsed.data.CCE4LONG_DEPLOYMENT === "production" && parsed.data.PUBSUB_EMULATOR_HOST) {
    throw new Cce4longError(
      "CONFIG_INVALID",
      "PUBSUB_EMULATOR_HOST must not be set in a production deployment",
    );
  }
  if (parsed.data.CCE4LONG_DEPLOYMENT === "production" && parsed.data.COMPUTE_LAUNCHER !== "gce") {
    throw new Cce4longError("CONFIG_INVALID", "COMPUTE_LAUNCHER must be gce in a production deployment");
  }
  if (
    parsed.data.CCE4LONG_DEPLOYMENT === "production" &&
    (!parsed.data.PRIVACY_PLANE_STATE_DIR || !parsed.data.PRIVACY_PLANE_API_TOKEN)
  ) {
    throw new Cce4longError(
      "CONFIG_INVALID",
      "PRIVACY_PLANE_STATE_DIR and PRIVACY_PLANE_API_TOKEN are required in a production deployment",
    );
  }
  if (Boolean(parsed.data.EDGE_API_URL) !== Boolean(parsed.data.PRIVACY_PLANE_EVENTS_SECRET)) {
    throw new Cce4longError("CONFIG_INVALID", "EDGE_API_URL and PRIVACY_PLANE_EVENTS_SECRET go together");
  }
  return parsed.data;
}

/** The launcher a deployment uses: production needs "gce" explicitly; development defaults to "local". */
export function computeLauncherKind(config: PrivacyPlaneConfig): "local" | "gce" {
  return config.COMPUTE_LAUNCHER ?? (config.CCE4LONG_DEPLOYMENT === "development" ? "local" : "gce");
}

/** The GCE_* variables go to the GCE launcher's own schema (compute/gce/config.ts). */
export function gceEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith("GCE_")));
}
