/**
 * The files a decrypting mount shows (boot agent; runs in the Confidential VM or locally): each
 * plaintext path with the ciphertext object under the lower layer and, from the dataset version
 * manifest, the file id its header must carry — so a file swapped for another valid file of the
 * same dataset is refused, which the file format alone cannot see.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { Cce4longError } from "@cce4long/protocol";

export interface MountedFile {
  /** Path in the plaintext view, "/"-separated, no leading slash (e.g. "cohort.csv"). */
  path: string;
  /** Ciphertext file under the lower layer (absolute). */
  lowerPath: string;
  /** Hex file id the header must carry (from the manifest); undefined only for ad-hoc mounts. */
  expectedFileId?: string;
  /**
   * The plaintext size from the file's authenticated header, when a check before the mount already
   * opened it (agent/manifest-check.ts): a stat is then answered without reading the lower layer.
   */
  plaintextBytes?: number;
}

const SAFE_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._\-/ ]{1,1024}$/;

/** Validates paths (no "..", no absolute paths) and builds the lookup tables of the mount. */
export function indexFiles(files: readonly MountedFile[]): {
  files: Map<string, MountedFile>;
  dirs: Map<string, Set<string>>;
} {
  const byPath = new Map<string, MountedFile>();
  const dirs = new Map<string, Set<string>>([["", new Set()]]);
  for (const file of files) {
    if (!SAFE_PATH.test(file.path) || file.path.startsWith("/") || file.path.endsWith("/")) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `not a safe relative path in the dataset: ${JSON.stringify(file.path)}`,
      );
    }
    if (byPath.has(file.path)) throw new Cce4longError("VALIDATION_FAILED", `duplicate path ${file.path}`);
    byPath.set(file.path, file);
    const parts = file.path.split("/");
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const name = parts[i]!;
      const children = dirs.get(parent) ?? new Set<string>();
      children.add(name);
      dirs.set(parent, children);
      if (i < parts.length - 1) {
        const dir = parts.slice(0, i + 1).join("/");
        if (byPath.has(dir))
          throw new Cce4longError("VALIDATION_FAILED", `${dir} is both a file and a folder`);
        if (!dirs.has(dir)) dirs.set(dir, new Set());
      }
    }
  }
  return { files: byPath, dirs };
}

/** An ad-hoc table from every file under a folder (tests, `cce4long` operators); no file ids to check. */
export function filesUnder(lowerRoot: string): MountedFile[] {
  const out: MountedFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() || statSync(full).isFile())
        out.push({ path: relative(lowerRoot, full).split(sep).join("/"), lowerPath: full });
    }
  };
  walk(lowerRoot);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
