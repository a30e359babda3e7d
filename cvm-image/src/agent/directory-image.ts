/**
 * Finds the job's code on the local runtime (runs on a developer machine, in the local stand-in for the
 * VM): the folder, among the configured image folders, whose directory-image digest
 * (protocol/src/jobs/directory-image.ts) is the job's pinned digest. The digest is recomputed here, so
 * the code that runs is exactly the code the consumer requested and the provider allowed.
 * Which files count follows examples/image-digest.ts: all but job.json, README.md, tests and __pycache__.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { directoryImageDigest } from "@cce4long/protocol/jobs/directory-image";

const NOT_IMAGE = /(^|\/)(job\.json|README\.md|[^/]*\.test\.ts|__pycache__(\/.*)?)$/;

export async function directoryDigest(folder: string): Promise<string> {
  const files: { path: string; sha256: string }[] = [];
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const full = join(dir, name);
      const path = relative(folder, full).split(sep).join("/");
      if (NOT_IMAGE.test(path)) continue;
      if ((await stat(full)).isDirectory()) await walk(full);
      else
        files.push({
          path,
          sha256: createHash("sha256")
            .update(await readFile(full))
            .digest("hex"),
        });
    }
  };
  await walk(folder);
  return directoryImageDigest(files);
}

export async function findDirectoryImage(imageDirs: readonly string[], digest: string): Promise<string> {
  for (const parent of imageDirs) {
    const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const folder = join(parent, entry.name);
      if ((await directoryDigest(folder).catch(() => undefined)) === digest) return folder;
    }
  }
  throw new Cce4longError("NOT_FOUND", "No directory image with the job's digest", { detail: { digest } });
}
