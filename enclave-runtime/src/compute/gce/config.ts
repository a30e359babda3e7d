/**
 * Configuration of the Google Confidential VM launcher (runs inside the TEE, Privacy Plane). Parsed once,
 * here, from the GCE_* variables of the environment record the service's config hands over. A missing or
 * malformed value stops the start with a message naming the variable.
 */
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";

const COMPUTE_URL_PREFIX = "https://www.googleapis.com/compute/v1/";

/** GCE accepts full URLs or partial ones from `projects/`; we store the partial form. */
const stripComputeUrl = (value: string) =>
  value.startsWith(COMPUTE_URL_PREFIX) ? value.slice(COMPUTE_URL_PREFIX.length) : value;

const NAME = "[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?";
const PROJECT = "[a-z][-a-z0-9]{4,28}[a-z0-9]";

/** Only C3 machine types run Intel TDX Confidential VMs on GCE. */
const C3MachineType = z
  .string()
  .regex(
    /^c3-(?:standard|highmem|highcpu)-\d+(?:-lssd)?$/,
    "must be a C3 machine type (TDX runs on C3 only)",
  );

/**
 * OAuth scopes the job VM's service account may hold. None is the default: the boot agent talks to the
 * Privacy Plane and to object storage with credentials it gets after attestation, not to Google APIs.
 */
const ALLOWED_SCOPES = ["https://www.googleapis.com/auth/devstorage.read_only"] as const;

const commaList = z
  .string()
  .default("")
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== ""),
  );

const Schema = z
  .object({
    GCE_PROJECT: z.string().regex(new RegExp(`^${PROJECT}$`), "must be a GCP project id"),
    GCE_ZONE: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, "must be a zone such as us-central1-a"),
    GCE_NETWORK: z
      .string()
      .transform(stripComputeUrl)
      .pipe(z.string().regex(new RegExp(`^projects/${PROJECT}/global/networks/${NAME}$`))),
    GCE_SUBNETWORK: z
      .string()
      .transform(stripComputeUrl)
      .pipe(
        z.string().regex(new RegExp(`^projects/${PROJECT}/regions/[a-z]+-[a-z]+\\d+/subnetworks/${NAME}$`)),
      ),
    /** The Packer-built image, by exact image (never `/family/`: a family moves, a measurement must not). */
    GCE_IMAGE: z
      .string()
      .transform(stripComputeUrl)
      .pipe(
        z
          .string()
          .regex(
            new RegExp(`^projects/${PROJECT}/global/images/${NAME}$`),
            "must name one image, not a family",
          ),
      ),
    GCE_MACHINE_TYPE_STANDARD: C3MachineType.default("c3-standard-4"),
    GCE_MACHINE_TYPE_LARGE: C3MachineType.default("c3-standard-22"),
    GCE_BOOT_DISK_GB: z.coerce.number().int().min(10).max(2048).default(20),
    GCE_BOOT_DISK_TYPE: z.enum(["pd-balanced", "pd-ssd", "hyperdisk-balanced"]).default("pd-balanced"),
    /** Empty: the VM gets no service account at all (no token on its metadata server). */
    GCE_SERVICE_ACCOUNT_EMAIL: z
      .string()
      .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$/)
      .optional(),
    GCE_SERVICE_ACCOUNT_SCOPES: commaList.pipe(z.array(z.enum(ALLOWED_SCOPES))),
    /** The Privacy Plane URL the boot agent calls for key release; TLS always. */
    GCE_PRIVACY_PLANE_URL: z.url({ protocol: /^https$/, hostname: z.regexes.domain }),
    /** The VPC firewall rules that deny the job VM's egress select it by this network tag. */
    GCE_NETWORK_TAG: z
      .string()
      .regex(new RegExp(`^${NAME}$`))
      .default("cce4long-job"),
    /** How long launch/destroy wait for GCE's zone operation before reporting the provider unavailable. */
    GCE_OPERATION_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(1800).default(300),
  })
  .superRefine((value, ctx) => {
    const zoneRegion = value.GCE_ZONE.replace(/-[a-z]$/, "");
    const subnetRegion = value.GCE_SUBNETWORK.split("/")[3];
    if (subnetRegion !== zoneRegion) {
      ctx.addIssue({ code: "custom", path: ["GCE_SUBNETWORK"], message: "must be in the zone's region" });
    }
    if (value.GCE_SERVICE_ACCOUNT_SCOPES.length > 0 && !value.GCE_SERVICE_ACCOUNT_EMAIL) {
      ctx.addIssue({
        code: "custom",
        path: ["GCE_SERVICE_ACCOUNT_SCOPES"],
        message: "needs a service account",
      });
    }
  });

export interface GceLauncherConfig {
  project: string;
  zone: string;
  /** Partial URLs (`projects/...`). */
  network: string;
  subnetwork: string;
  image: string;
  machineTypes: { standard: string; large: string };
  bootDisk: { sizeGb: number; type: "pd-balanced" | "pd-ssd" | "hyperdisk-balanced" };
  serviceAccount: { email: string; scopes: string[] } | null;
  privacyPlaneUrl: string;
  networkTag: string;
  operationTimeoutMs: number;
}

export function parseGceLauncherConfig(env: Record<string, string | undefined>): GceLauncherConfig {
  // Empty strings are "unset" (shell `VAR=`), so defaults and optionals behave.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = Schema.safeParse(present);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(", ");
    throw new Cce4longError("CONFIG_INVALID", `GCE launcher configuration invalid or missing: ${names}`);
  }
  const c = parsed.data;
  return {
    project: c.GCE_PROJECT,
    zone: c.GCE_ZONE,
    network: c.GCE_NETWORK,
    subnetwork: c.GCE_SUBNETWORK,
    image: c.GCE_IMAGE,
    machineTypes: { standard: c.GCE_MACHINE_TYPE_STANDARD, large: c.GCE_MACHINE_TYPE_LARGE },
    bootDisk: { sizeGb: c.GCE_BOOT_DISK_GB, type: c.GCE_BOOT_DISK_TYPE },
    serviceAccount: c.GCE_SERVICE_ACCOUNT_EMAIL
      ? { email: c.GCE_SERVICE_ACCOUNT_EMAIL, scopes: c.GCE_SERVICE_ACCOUNT_SCOPES }
      : null,
    privacyPlaneUrl: c.GCE_PRIVACY_PLANE_URL,
    networkTag: c.GCE_NETWORK_TAG,
    operationTimeoutMs: c.GCE_OPERATION_TIMEOUT_SECONDS * 1000,
  };
}
