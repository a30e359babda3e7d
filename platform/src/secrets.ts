/**
 * Development secrets of the local platform (development only): the object store's access key, the
 * edge API's token secret, and the two secrets the edge API and the Privacy Plane share. Generated once, kept in `.local/secrets.json` with mode 0600 so
 * signed-in sessions survive a restart. Production secrets live in the platforms' secret stores.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";

const Secrets = z.object({
  objectStoreAccessKeyId: z.string().min(8),
  objectStoreSecretAccessKey: z.string().min(32),
  edgeTokenSecret: z.string().min(43),
  /** Bearer token the edge API sends with calls it forwards to the Privacy Plane. */
  privacyPlaneApiToken: z.string().min(43),
  /** Standard Webhooks secret the Privacy Plane signs its events to the edge API with. */
  privacyPlaneEventsSecret: z.string().regex(/^whsec_/),
});

export type DevSecrets = z.infer<typeof Secrets>;

export function loadOrCreateSecrets(file: string): DevSecrets {
  if (existsSync(file)) {
    const parsed = Secrets.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (parsed.success) return parsed.data;
  }
  const secrets: DevSecrets = {
    objectStoreAccessKeyId: `cce4long-dev-${randomBytes(6).toString("hex")}`,
    objectStoreSecretAccessKey: randomBytes(32).toString("base64url"),
    edgeTokenSecret: randomBytes(32).toString("base64url"),
    privacyPlaneApiToken: randomBytes(32).toString("base64url"),
    privacyPlaneEventsSecret: `whsec_${randomBytes(32).toString("base64")}`,
  };
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}
