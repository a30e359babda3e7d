/**
 * The dataset's files as the boot agent mounts them (runs in the Computing Plane VM, or locally): the
 * file table of the lower layer and the key versions its headers name. Until ingest writes dataset
 * version manifests, the table is every file under the lower folder (no expected file ids); the headers
 * are public and are read here only to know which key versions to ask for. The lower layer is not the
 * FUSE mount, so reading it from this process is safe.
 */
import { open } from "node:fs/promises";
import { Cce4longError } from "@cce4long/protocol";
import { HEADER_MAX_LENGTH, openFileReader, openSealedFile, parseHeader } from "@cce4long/sealing";
import { filesUnder, type MountedFile } from "../fuse/file-table";

export interface DatasetFiles {
  files: MountedFile[];
  keyVersions: number[];
}

export async function datasetFilesUnder(lowerDir: string, datasetId: string): Promise<DatasetFiles> {
  let files: MountedFile[];
  try {
    files = filesUnder(lowerDir);
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
 * Checks each released key against a file written under it (the header's key-check value): a key that
 * is not the dataset's (a forged answer) fails here, before anything is mounted.
 */
export async function ensureKeysOpenFiles(
  files: readonly MountedFile[],
  keys: ReadonlyMap<number, Uint8Array>,
): Promise<void> {
  const checked = new Set<number>();
  for (const file of files) {
    const reader = await openFileReader(file.lowerPath);
    try {
      const { header } = parseHeader(await reader.read(0, Math.min(reader.size, HEADER_MAX_LENGTH)));
      if (checked.has(header.keyVersion)) continue;
      const key = keys.get(header.keyVersion);
      if (!key) throw new Cce4longError("KEY_UNWRAP_FAILED", "No key was released for a file's key version");
      (await openSealedFile(reader, key)).close();
      checked.add(header.keyVersion);
    } finally {
      await reader.close();
    }
  }
}
