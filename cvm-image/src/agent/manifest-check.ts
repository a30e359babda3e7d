/**
 * The boot agent's check that the lower layer holds exactly the dataset version the job credential
 * names (runs in the Computing Plane VM, or locally), before anything is mounted: the version manifest
 * kept in the lower layer must have the credential's root (which the key-release response, signed by
 * the credential's issuer, repeats) and the credential's dataset, and the files must be exactly its
 * `data` entries: no extra, none missing, each with the manifest's size, header fields (file id, key
 * version, chunk size, plaintext size) and, where cheap, ciphertext SHA-256. The headers are
 * authenticated afterwards with the released keys (ensureKeysOpenFiles) and the decrypting FUSE checks
 * each file id again at every open.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Cce4longError, isCce4longError } from "@cce4long/protocol";
import {
  type DatasetManifest,
  LOWER_LAYER_MANIFEST_PATH,
  type ManifestEntry,
  verifyManifest,
} from "@cce4long/protocol/datasets/manifest";
import { HEADER_MAX_LENGTH, parseHeader } from "@cce4long/sealing";
import { filesUnder, type MountedFile } from "../fuse/file-table";

/** Where the lower layer keeps its version's manifest (docs/dataset-manifest.md, section 3). */
export const LOWER_MANIFEST_PATH = LOWER_LAYER_MANIFEST_PATH;

/** Files up to this size are hashed whole; above it the header, size and per-chunk tags stand guard. */
export const HASH_LIMIT_BYTES = 64 * 1024 * 1024;

export interface ManifestCheckOptions {
  lowerDir: string;
  /** The job's dataset (0x-hex), from the agent's configuration and the credential. */
  datasetId: string;
  /** The version root the job credential names (and the signed key-release response repeats). */
  manifestRoot: string;
  hashLimitBytes?: number;
}

export interface CheckedDataset {
  manifest: DatasetManifest;
  /** The mount's file table: exactly the manifest's data entries, each with its expected file id. */
  files: MountedFile[];
}

function manifestInvalid(message: string, detail?: Record<string, unknown>): Cce4longError {
  return new Cce4longError("DATASET_MANIFEST_INVALID", message, { detail });
}

function fileMismatch(path: string, message: string): Cce4longError {
  return new Cce4longError("SEAL_INTEGRITY", `${path}: ${message}`, { detail: { path } });
}

/** Reads the lower layer's manifest and checks it against the credential's root and dataset. */
export async function readLowerManifest(
  options: Pick<ManifestCheckOptions, "lowerDir" | "datasetId" | "manifestRoot">,
): Promise<DatasetManifest> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(join(options.lowerDir, LOWER_MANIFEST_PATH), "utf8"));
  } catch {
    throw manifestInvalid("The lower layer has no readable dataset version manifest");
  }
  let manifest: DatasetManifest;
  try {
    manifest = verifyManifest(value, options.manifestRoot);
  } catch (error) {
    if (isCce4longError(error)) throw error;
    throw manifestInvalid("The lower layer's dataset version manifest failed verification");
  }
  if (manifest.datasetId.toLowerCase() !== options.datasetId.toLowerCase()) {
    throw manifestInvalid("The lower layer's manifest is another dataset's");
  }
  return manifest;
}

export async function ensureLowerMatchesManifest(options: ManifestCheckOptions): Promise<CheckedDataset> {
  const manifest = await readLowerManifest(options);
  const entries = manifest.entries.filter((entry) => entry.kind === "data");
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  if (byPath.has(LOWER_MANIFEST_PATH)) {
    throw manifestInvalid("A data entry takes the manifest's own place in the lower layer");
  }
  const present = filesUnder(options.lowerDir).filter((file) => file.path !== LOWER_MANIFEST_PATH);
  const presentPaths = new Set(present.map((file) => file.path));
  for (const file of present) {
    if (!byPath.has(file.path)) throw fileMismatch(file.path, "not in the dataset version manifest");
  }
  for (const entry of entries) {
    if (!presentPaths.has(entry.path)) throw fileMismatch(entry.path, "listed in the manifest but missing");
  }
  const hashLimit = options.hashLimitBytes ?? HASH_LIMIT_BYTES;
  const files: MountedFile[] = [];
  for (const file of present) {
    const entry = byPath.get(file.path)!;
    await ensureFileMatchesEntry(file, entry, manifest.datasetId, hashLimit);
    files.push({ ...file, expectedFileId: entry.fileId });
  }
  return { manifest, files };
}

async function ensureFileMatchesEntry(
  file: MountedFile,
  entry: ManifestEntry,
  datasetId: string,
  hashLimit: number,
): Promise<void> {
  const handle = await open(file.lowerPath, "r");
  try {
    const { size } = await handle.stat();
    if (size !== entry.ciphertextBytes) {
      throw fileMismatch(file.path, `is ${size} bytes, the manifest says ${entry.ciphertextBytes}`);
    }
    const head = Buffer.alloc(Math.min(size, HEADER_MAX_LENGTH));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const { header } = parseHeader(head.subarray(0, bytesRead));
    const mismatched = [
      Buffer.from(header.fileId).toString("hex") !== entry.fileId && "file id",
      header.datasetId.toLowerCase() !== datasetId.toLowerCase() && "dataset",
      header.keyVersion !== entry.keyVersion && "key version",
      header.chunkSize !== entry.chunkSize && "chunk size",
      header.plaintextLength !== entry.plaintextBytes && "plaintext size",
    ].filter((field): field is string => field !== false);
    if (mismatched.length > 0) {
      throw fileMismatch(file.path, `header does not match the manifest (${mismatched.join(", ")})`);
    }
  } finally {
    await handle.close();
  }
  if (entry.ciphertextBytes <= hashLimit) {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file.lowerPath)) hash.update(chunk as Buffer);
    if (hash.digest("hex") !== entry.ciphertextSha256) {
      throw fileMismatch(file.path, "ciphertext SHA-256 does not match the manifest");
    }
  }
}
