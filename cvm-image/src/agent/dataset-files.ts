/**
 * The dataset's files as the boot agent first sees them (runs in the Computing Plane VM, or locally):
 * the encrypted files of the lower layer and the key versions their headers name, to know which keys
 * to ask for. Nothing here is trusted yet: after key release, manifest-check.ts holds the files to the
 * credential's version manifest and ensureKeysOpenFiles authenticates every header. The lower layer
 * is not the FUSE mount, so reading it from this process is safe.
 */
import { open } from "node:fs/promises";
import { Cce4longError } from "@cce4long/protocol";
import { HEADER_MAX_LENGTH, parseHeader } from "@cce4long/sealing";
import { filesUnder, type MountedFile } from "../fuse/file-table";
import { openSealedLowerFile } from "../fuse/sealed-lower-file";
import { LOWER_MANIFEST_PATH } from "./manifest-check";

export interface DatasetFiles {
  files: MountedFile[];
  keyVersions: number[];
}

export async function datasetFilesUnder(lowerDir: string, datasetId: string): Promise<DatasetFiles> {
  let files: MountedFile[];
  try {
    files = filesUnder(lowerDir).filter((file) => file.path !== LOWER_MANIFEST_PATH);
  } catch (cause) {
    throw new Cce4longError("NOT_FOUND", "The dataset's lower layer is not there", {
      cause,
      detail: { lowerDir },
    });
  }
  if (files.length === 0)
    throw new Cce4longError("NOT_FOUND", "The dataset's lower layer is empty", { detail: { lowerDir } });
  const versions = new Set<number>();
  for (const file of files) {
    const handle = await open(file.lowerPath, "r");
    try {
      const head = Buffer.alloc(HEADER_MAX_LENGTH);
      const { bytesRead } = await handle.read(head, 0, HEADER_MAX_LENGTH, 0);
      const { header } = parseHeader(head.subarray(0, bytesRead));
      if (header.datasetId !== datasetId) {
        throw new Cce4longError("SEAL_INTEGRITY", "A file of the lower layer belongs to another dataset", {
          detail: { path: file.path },
        });
      }
      versions.add(header.keyVersion);
    } finally {
      await handle.close();
    }
  }
  return { files, keyVersions: [...versions].sort((a, b) => a - b) };
}

/**
 * Opens every file's header with the released keys (key check and header MAC): a key that is not the
 * dataset's (a forged answer) fails here, and so does a file whose authenticated file id is not the
 * one the manifest expects, before anything is mounted.
 */
export async function ensureKeysOpenFiles(
  files: readonly MountedFile[],
  keys: ReadonlyMap<number, Uint8Array>,
): Promise<void> {
  // The same opening the decrypting FUSE does (header MAC, exact size, expected file id), done up front.
  const keyFor = (_datasetId: string, version: number) => {
    const key = keys.get(version);
    if (!key) throw new Cce4longError("KEY_UNWRAP_FAILED", "No key was released for a file's key version");
    return key;
  };
  for (const file of files) await (await openSealedLowerFile(file, keyFor)).close();
}
