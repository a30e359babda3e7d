/**
 * The compute-launcher interface (runs inside the TEE, in the Privacy Plane's dispatcher): how a job's
 * ephemeral Computing Plane VM is started, watched and destroyed. Implementations: gce/ (Google
 * Confidential VM, Intel TDX) and the local launcher (boot agent on this machine, development only).
 */
import { Cce4longError, type ErrorCode } from "@cce4long/protocol";
import { z } from "zod";

/** Named machine sizes; each implementation maps them to its own machine types. */
export const MACHINE_PROFILES = ["standard", "large"] as const;
export type MachineProfile = (typeof MACHINE_PROFILES)[number];

const Bytes32Hex = z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x followed by 64 lowercase hex digits");

/**
 * The longest credential a launcher accepts. GCE metadata values may hold 256 KiB; a Job Credential is
 * a few hundred bytes, so anything near the limit is a bug upstream, not a job.
 */
export const MAX_CREDENTIAL_LENGTH = 16 * 1024;

/** The longest a job VM may exist; the provider deletes it after this even if the dispatcher is gone. */
export const MAX_RUN_SECONDS_LIMIT = 7 * 24 * 3600;

export const LaunchJobSchema = z.strictObject({
  /** The on-chain job id (bytes32). It names the VM, so one job can never have two VMs. */
  jobId: Bytes32Hex,
  /** The on-chain dataset id (bytes32). */
  datasetId: Bytes32Hex,
  /**
   * The Job Credential minted by the Privacy Plane: opaque here, never parsed, never logged. Visible to
   * the cloud project's administrators (it travels in instance metadata), so it must be useless without
   * a TDX quote bound to its nonce: key release checks both.
   */
  credential: z
    .string()
    .min(1)
    .max(MAX_CREDENTIAL_LENGTH)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
  /** The consumer's container image, pinned by digest (OCI form). */
  imageDigest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, "must be sha256: followed by 64 lowercase hex digits"),
  machineProfile: z.enum(MACHINE_PROFILES),
  /** Hard deadline in seconds; the provider destroys the VM after it (the backstop for a lost dispatcher). */
  maxRunSeconds: z.int().min(60).max(MAX_RUN_SECONDS_LIMIT),
});

export type LaunchJob = z.infer<typeof LaunchJobSchema>;

/**
 * A launched VM, as a string the dispatcher can store (e.g. `gce:PROJECT/ZONE/NAME`). Opaque to callers:
 * only the implementation that made it parses it.
 */
export type InstanceRef = string;

export interface LaunchResult {
  instanceRef: InstanceRef;
  /** When the provider accepted the VM (the start of the job's timeout window). */
  launchedAt: Date;
}

/**
 * Life of a job VM as the dispatcher needs to see it. `gone` means the provider no longer knows the VM
 * (deleted after the job, by its hard deadline, or never created): a job whose VM is gone without a
 * callback has failed.
 */
export type InstanceState = "starting" | "running" | "stopping" | "stopped" | "gone";

export interface InstanceStatus {
  state: InstanceState;
  /** When the VM was created, if the provider still knows it: timeouts are measured from here. */
  launchedAt?: Date;
  /** The provider's own status word, for logs. */
  providerStatus?: string;
}

export interface DestroyResult {
  /** True when there was nothing to delete (already deleted, or never created): not an error. */
  alreadyGone: boolean;
}

/**
 * What the dispatcher uses. Every method fails only with a Cce4longError whose code is one of
 * COMPUTE_ERROR_CODES (or VALIDATION_FAILED for bad input).
 *
 * Tearing down a job whose VM never called back: the dispatcher does not need to have stored the ref
 * (it may have crashed between launch and write): `refForJob(jobId)` gives it back, `status(ref)` tells
 * whether and since when the VM exists, and `destroy(ref)` is idempotent. Independently of the
 * dispatcher, implementations make the provider delete the VM after `maxRunSeconds`.
 */
export interface ComputeLauncher {
  /** Which implementation this is, for logs and for refusing a local launcher in production. */
  readonly kind: "gce" | "local";
  /**
   * Starts the job's VM and resolves once the provider has accepted it. Launching a job twice fails with
   * COMPUTE_ALREADY_LAUNCHED (the VM name derives from the job id), so redelivered queue messages can
   * never start a second VM.
   */
  launch(job: LaunchJob): Promise<LaunchResult>;
  status(ref: InstanceRef): Promise<InstanceStatus>;
  /** Deletes the VM; resolves once the provider has deleted it. A VM that does not exist is success. */
  destroy(ref: InstanceRef): Promise<DestroyResult>;
  /** The ref `launch` returns or would return for this job id (no provider call). */
  refForJob(jobId: string): InstanceRef;
}

/** The stable codes a launcher fails with, beyond VALIDATION_FAILED. */
export const COMPUTE_ERROR_CODES = [
  "COMPUTE_QUOTA_EXCEEDED",
  "COMPUTE_CAPACITY_UNAVAILABLE",
  "COMPUTE_ALREADY_LAUNCHED",
  "COMPUTE_REQUEST_REJECTED",
  "COMPUTE_PROVIDER_UNAVAILABLE",
] as const satisfies readonly ErrorCode[];

export type ComputeErrorCode = (typeof COMPUTE_ERROR_CODES)[number];

/**
 * Whether the dispatcher may try the same launch again later (quota frees up, capacity returns, the API
 * recovers). A rejected request will be rejected again; an already-launched job must not be relaunched.
 */
export function isRetryableComputeError(code: ErrorCode): boolean {
  return (
    code === "COMPUTE_QUOTA_EXCEEDED" ||
    code === "COMPUTE_CAPACITY_UNAVAILABLE" ||
    code === "COMPUTE_PROVIDER_UNAVAILABLE"
  );
}

/** Validates a launch request; the message names the bad fields, never the credential's value. */
export function parseLaunchJob(job: unknown): LaunchJob {
  const parsed = LaunchJobSchema.safeParse(job);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "(root)"))];
    throw new Cce4longError("VALIDATION_FAILED", `Invalid launch request: ${fields.join(", ")}`, {
      detail: { issues: parsed.error.issues.map(({ path, code }) => ({ path: path.join("."), code })) },
    });
  }
  return parsed.data;
}
