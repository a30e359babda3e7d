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
});

export type PrivacyPlaneConfig = z.infer<typeof Schema>;

export function parseConfig(env: Record<string, string | undefined>): PrivacyPlaneConfig {
  const parsed = Schema.safeParse(env);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))].join(", ");
    throw new Cce4longError("CONFIG_INVALID", `Privacy Plane configuration invalid or missing: ${names}`);
  }
  if (parsed.data.CCE4LONG_DEPLOYMENT === "production" && parsed.data.PUBSUB_EMULATOR_HOST) {
    throw new Cce4longError("CONFIG_INVALID", "PUBSUB_EMULATOR_HOST must not be set in a production deployment");
  }
  return parsed.data;
}
