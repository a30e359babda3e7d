/**
 * The digest of a directory image (runs anywhere): how a job that is a folder of files rather than
 * an OCI image (the local development runtime, the examples/) is pinned. digest =
 * "sha256:" + sha256(canonical JSON of {apiVersion, files: [{path, sha256}] sorted by path}),
 * where each file's sha256 is the lowercase hex of its bytes. The local runtime mounts the folder
 * read-only at the spec's workingDir.
 */
import { sha256, stringToBytes } from "viem";
import { Cce4longError } from "../errors/index";
import { canonicalJson } from "./canonical-json";

export const DIRECTORY_IMAGE_API_VERSION = "cce4long.dev/directory-image/v1";

export interface DirectoryImageFile {
  /** Relative path with "/" separators. */
  path: string;
  /** Lowercase hex sha256 of the file's bytes. */
  sha256: string;
}

export function directoryImageDigest(files: readonly DirectoryImageFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const [i, file] of sorted.entries()) {
    if (!/^[0-9a-f]{64}$/.test(file.sha256)) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `file ${file.path}: sha256 must be 64 lowercase hex digits`,
      );
    }
    if (file.path.startsWith("/") || file.path.split("/").includes("..") || file.path === "") {
      throw new Cce4longError("VALIDATION_FAILED", `file path must be relative without "..": ${file.path}`);
    }
    if (i > 0 && sorted[i - 1]!.path === file.path) {
      throw new Cce4longError("VALIDATION_FAILED", `file ${file.path} is listed twice`);
    }
  }
  const manifest = canonicalJson({
    apiVersion: DIRECTORY_IMAGE_API_VERSION,
    files: sorted.map((f) => ({ path: f.path, sha256: f.sha256 })),
  });
  return `sha256:${sha256(stringToBytes(manifest)).slice(2)}`;
}
