/**
 * The boot agent's configuration (runs in the Computing Plane VM; locally a child process of the local
 * launcher). Read once, here: in the VM from instance metadata (the GCE launcher's keys), locally from
 * the environment the local launcher sets with the same values. Refuses to start on anything missing.
 */
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";
import { readInstanceMetadata } from "./metadata";

const Bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/);

const AgentConfigSchema = z.object({
  deployment: z.enum(["development", "production"]),
  credential: z
    .string()
    .min(1)
    .max(16 * 1024),
  privacyPlaneUrl: z.url(),
  jobId: Bytes32,
  datasetId: Bytes32,
  imageDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Job-private folder: data/ (the decrypting mount) and output/ live here. */
  workDir: z.string().min(1),
  /** Local runtime only: folders holding directory images, searched for the job's digest. */
  imageDirs: z.array(z.string().min(1)),
  /** Local runtime only: the development guest agent (the insecure attester). */
  dstackEndpoint: z.string().optional(),
  sandbox: z.enum(["bubblewrap", "podman"]),
  /** nftables: the VM's firewall sets are filled and calls pinned (egress.ts); none: the local runtime. */
  egress: z.enum(["nftables", "none"]),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/**
 * Where the VM image keeps things (systemd RuntimeDirectory=cce4long). There is no lower folder: the
 * dataset is read from object storage with the URLs key release hands over (fuse/object-store-lower-layer.ts).
 */
const VM_WORK_DIR = "/run/cce4long/job";

export async function loadAgentConfig(
  env: Record<string, string | undefined>,
  fetchImpl: typeof fetch = fetch,
): Promise<AgentConfig> {
  const source = env.CCE4LONG_AGENT_CONFIG_SOURCE ?? "gce-metadata";
  let raw: Record<string, unknown>;
  if (source === "env") {
    raw = {
      deployment: env.CCE4LONG_DEPLOYMENT,
      credential: env.CCE4LONG_JOB_CREDENTIAL,
      privacyPlaneUrl: env.CCE4LONG_PRIVACY_PLANE_URL,
      jobId: env.CCE4LONG_JOB_ID,
      datasetId: env.CCE4LONG_DATASET_ID,
      imageDigest: env.CCE4LONG_IMAGE_DIGEST,
      workDir: env.CCE4LONG_WORK_DIR,
      imageDirs: (env.CCE4LONG_IMAGE_DIRS ?? "").split(",").filter((dir) => dir !== ""),
      dstackEndpoint: env.DSTACK_ENDPOINT,
      sandbox: "bubblewrap",
      egress: "none",
    };
    if (raw.deployment !== "development") {
      throw new Cce4longError(
        "CONFIG_INVALID",
        "The environment config source is for the local runtime (development) only",
      );
    }
  } else if (source === "gce-metadata") {
    const metadata = await readInstanceMetadata(fetchImpl);
    raw = {
      deployment: "production",
      ...metadata,
      workDir: VM_WORK_DIR,
      imageDirs: [],
      sandbox: "podman",
      egress: "nftables",
    };
  } else {
    throw new Cce4longError("CONFIG_INVALID", "CCE4LONG_AGENT_CONFIG_SOURCE must be env or gce-metadata");
  }
  const parsed = AgentConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(", ");
    throw new Cce4longError("CONFIG_INVALID", `Boot agent configuration invalid or missing: ${names}`);
  }
  return parsed.data;
}
