/**
 * A data-availability layer in a local folder (runs on an auditor's machine): the same content-addressed
 * keys as the object store (`job-specs/…`, `algorithm-records/…`, `algorithm-sources/…`) as files, e.g.
 * a mirror of the public algorithms bucket. Read-mostly; whatever it holds is re-verified anyway.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import type { DataAvailability } from "@cce4long/protocol/algorithms/data-availability";

export function directoryDataAvailability(root: string): DataAvailability {
  const base = resolve(root);
  const pathOf = (key: string) => {
    const path = resolve(base, ...key.split("/"));
    if (!path.startsWith(base + sep)) throw new Cce4longError("VALIDATION_FAILED", `bad object key: ${key}`);
    return path;
  };
  return {
    name: `directory:${base}`,
    async put(key, bytes) {
      const path = pathOf(key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    },
    async get(key) {
      const path = pathOf(key);
      return existsSync(path) ? new Uint8Array(readFileSync(path)) : null;
    },
  };
}

/** For tests and docs: where a key lands under `root`. */
export function directoryObjectPath(root: string, key: string): string {
  return join(resolve(root), ...key.split("/"));
}
