/**
 * An algorithm's source folder as reproducible tarball input (runs in Node: the CLI, CI, auditors):
 * every regular file under the folder, "/"-separated relative paths, sorted; only the executable bit
 * of the mode survives. Symlinks and special files are refused (they would not rebuild the same).
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import type { TarFile } from "@cce4long/protocol/algorithms/reproducible-tar";

export function sourceFilesOfFolder(folder: string, exclude?: (path: string) => boolean): TarFile[] {
  const files: TarFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const path = relative(folder, full).split(sep).join("/");
      if (exclude?.(path)) continue;
      const stat = lstatSync(full);
      if (stat.isDirectory()) walk(full);
      else if (stat.isFile())
        files.push({ path, bytes: readFileSync(full), executable: (stat.mode & 0o111) !== 0 });
      else throw new Cce4longError("VALIDATION_FAILED", `source ${path} is not a regular file or folder`);
    }
  };
  walk(folder);
  return files;
}
