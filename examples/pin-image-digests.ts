/**
 * Rewrites image.digest in every examples/<name>/job.json to the folder's directory-image digest
 * (runs on the developer's machine): `npx tsx examples/pin-image-digests.ts` after editing an example.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exampleImageDigest } from "./image-digest";

const root = dirname(fileURLToPath(import.meta.url));
for (const name of readdirSync(root).sort()) {
  const spec = join(root, name, "job.json");
  if (!existsSync(spec)) continue;
  const text = readFileSync(spec, "utf8");
  const digest = exampleImageDigest(join(root, name));
  const updated = text.replace(/"digest": "sha256:[0-9a-f]{64}"/, `"digest": "${digest}"`);
  if (updated !== text) writeFileSync(spec, updated);
  console.log(`${name}: ${digest}${updated === text ? " (unchanged)" : " (updated)"}`);
}
