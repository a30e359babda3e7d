/**
 * The directory-image digest of an example job folder (runs on the developer's machine and in CI).
 * The image is every file of the folder except job.json, README.md and tests; see
 * protocol/src/jobs/directory-image.ts for the digest itself.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { directoryImageDigest } from "@cce4long/protocol/jobs/directory-image";

const NOT_IMAGE = /(^|\/)(job\.json|README\.md|[^/]*\.test\.ts|__pycache__(\/.*)?)$/;

export function exampleImageFiles(folder: string): { path: string; sha256: string }[] {
  const files: { path: string; sha256: string }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const path = relative(folder, full).split(sep).join("/");
      if (NOT_IMAGE.test(path)) continue;
      if (statSync(full).isDirectory()) walk(full);
      else files.push({ path, sha256: createHash("sha256").update(readFileSync(full)).digest("hex") });
    }
  };
  walk(folder);
  return files;
}

export function exampleImageDigest(folder: string): string {
  return directoryImageDigest(exampleImageFiles(folder));
}
