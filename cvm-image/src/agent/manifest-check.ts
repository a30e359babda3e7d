/**
 * The boot agent's check that the lower layer is exactly the dataset version the job credential names
 * (runs in the Computing Plane VM, or locally), before anything is mounted: the version manifest the
 * key-release answer carries must verify against the credential's root (which that signed answer
 * repeats) and be the credential's dataset; the objects offered must be exactly its `data` entries (no
 * extra, none missing); each file must have the manifest's size and, where cheap, ciphertext SHA-256;
 * and its header, read once and authenticated with the released key (key check, MAC, exact size), must
 * carry the manifest's file id, dataset, key version, chunk size and plaintext size. The decrypting
 * FUSE checks the file id again at every open and every chunk's tag at every read.
 */
import { createHash } from "node:crypto";
import { Cce4longError, isCce4longError } from "@cce4long/protocol";
import {
  type DatasetManifest,
  type ManifestEntry,
  verifyManifest,
} from "@cce4long/protocol/datasets/manifest";
import type { FileHeader } from "@cce4long/sealing";
import type { MountedFile } from "../fuse/file-table";
import type { LowerFile, LowerLayer } from "../fuse/lower-layer";
import { openSealedLowerFile } from "../fuse/sealed-lower-file";

/** Files up to this size are hashed whole; above it the header, size and per-chunk tags stand guard. */
export const HASH_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Bytes hashed in all, the small files first: past it the remaining files rely on the same guards as
 * large ones. Bounds the set-up time (the read URLs' clock runs from key release) and avoids reading a
 * many-file version twice; the hash is defence in depth (header MACs bind each file id and size).
 */
export const HASH_BUDGET_BYTES = 256 * 1024 * 1024;

/** Files checked at once (each check is a round trip or a few on object storage). */
const CHECK_CONCURRENCY = 8;

/** Bytes per lower read while hashing (one ranged GET each on object storage). */
const HASH_READ_BYTES = 8 * 1024 * 1024;

export interface ManifestCheckOptions {
  /** The version manifest as received: untrusted until it verifies here. */
  manifest: unknown;
  /** The manifest paths the lower layer offers (one read URL each). */
  present: readonly string[];
  lower: LowerLayer;
  /** The job's dataset (0x-hex), from the agent's configuration and the credential. */
  datasetId: string;
  /** The version root the job credential names (and the signed key-release response repeats). */
  manifestRoot: string;
  /** The released keys by version (the headers are authenticated with them). */
  keys: ReadonlyMap<number, Uint8Array>;
  hashLimitBytes?: number;
  hashBudgetBytes?: number;
}

export interface CheckedDataset {
  manifest: DatasetManifest;
  /** The mount's file table: exactly the manifest's data entries, each with its expected file id. */
  files: MountedFile[];
}

function manifestInvalid(message: string): Cce4longError {
  return new Cce4longError("DATASET_MANIFEST_INVALID", message);
}

function fileMismatch(path: string, message: string): Cce4longError {
  return new Cce4longError("SEAL_INTEGRITY", `${path}: ${message}`, { detail: { path } });
}

/** Verifies the received manifest against the credential's root and dataset. */
export function verifyReceivedManifest(
  value: unknown,
  options: Pick<ManifestCheckOptions, "datasetId" | "manifestRoot">,
): DatasetManifest {
  let manifest: DatasetManifest;
  try {
    manifest = verifyManifest(value, options.manifestRoot);
  } catch (error) {
    if (isCce4longError(error)) throw error;
    throw manifestInvalid("The dataset version manifest failed verification");
  }
  if (manifest.datasetId.toLowerCase() !== options.datasetId.toLowerCase()) {
    throw manifestInvalid("The dataset version manifest is another dataset's");
  }
  return manifest;
}

export async function ensureLowerMatchesManifest(options: ManifestCheckOptions): Promise<CheckedDataset> {
  const manifest = verifyReceivedManifest(options.manifest, options);
  const entries = manifest.entries.filter((entry) => entry.kind === "data");
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  const present = new Set<string>();
  for (const path of options.present) {
    if (present.has(path)) throw fileMismatch(path, "offered twice");
    if (!byPath.has(path)) throw fileMismatch(path, "not in the dataset version manifest");
    present.add(path);
  }
  for (const entry of entries) {
    if (!present.has(entry.path)) throw fileMismatch(entry.path, "listed in the manifest but missing");
  }
  const hashLimit = options.hashLimitBytes ?? HASH_LIMIT_BYTES;
  // Which files are hashed is decided up front (smallest first, within the budget), so the result does
  // not depend on which check finishes first.
  let budget = options.hashBudgetBytes ?? HASH_BUDGET_BYTES;
  const hashed = new Set<string>();
  for (const entry of [...entries].sort((a, b) => a.ciphertextBytes - b.ciphertextBytes)) {
    if (entry.ciphertextBytes > hashLimit || entry.ciphertextBytes > budget) continue;
    hashed.add(entry.path);
    budget -= entry.ciphertextBytes;
  }
  const files: MountedFile[] = entries.map((entry) => ({
    path: entry.path,
    lowerPath: entry.path,
    expectedFileId: entry.fileId,
  }));
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < entries.length) {
      const i = next++;
      const entry = entries[i]!;
      try {
        await ensureFileMatchesEntry(files[i]!, entry, manifest.datasetId, hashed.has(entry.path), options);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // The first failure ends the check (the others stop taking files); the job then fails as a mismatch.
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, entries.length) }, worker));
  return { manifest, files };
}

async function ensureFileMatchesEntry(
  file: MountedFile,
  entry: ManifestEntry,
  datasetId: string,
  hash: boolean,
  options: Pick<ManifestCheckOptions, "lower" | "keys">,
): Promise<void> {
  // One open per file: the header (read once) and the hash of a small file share it.
  const lowerFile = await options.lower.open(file.lowerPath);
  try {
    if (lowerFile.size !== entry.ciphertextBytes) {
      throw fileMismatch(file.path, `is ${lowerFile.size} bytes, the manifest says ${entry.ciphertextBytes}`);
    }
    const keyFor = (_datasetId: string, version: number) => {
      const key = options.keys.get(version);
      if (!key) throw new Cce4longError("KEY_UNWRAP_FAILED", "No key was released for a file's key version");
      return key;
    };
    // The same opening the decrypting FUSE does (header MAC, exact size, expected file id), done up front.
    const borrowed: LowerFile = {
      size: lowerFile.size,
      read: (target, length, position) => lowerFile.read(target, length, position),
      close: async () => {},
    };
    const sealed = await openSealedLowerFile(file, keyFor, {
      lower: { open: async () => borrowed },
      checkHeader: (header) => ensureHeaderMatches(file.path, header, entry, datasetId),
    });
    file.plaintextBytes = sealed.plaintextLength;
    await sealed.close();
    if (hash && (await sha256Of(lowerFile)) !== entry.ciphertextSha256) {
      throw fileMismatch(file.path, "ciphertext SHA-256 does not match the manifest");
    }
  } finally {
    await lowerFile.close().catch(() => {});
  }
}

function ensureHeaderMatches(
  path: string,
  header: FileHeader,
  entry: ManifestEntry,
  datasetId: string,
): void {
  const mismatched = [
    Buffer.from(header.fileId).toString("hex") !== entry.fileId && "file id",
    header.datasetId.toLowerCase() !== datasetId.toLowerCase() && "dataset",
    header.keyVersion !== entry.keyVersion && "key version",
    header.chunkSize !== entry.chunkSize && "chunk size",
    header.plaintextLength !== entry.plaintextBytes && "plaintext size",
  ].filter((field): field is string => field !== false);
  if (mismatched.length > 0) {
    throw fileMismatch(path, `header does not match the manifest (${mismatched.join(", ")})`);
  }
}

async function sha256Of(file: LowerFile): Promise<string> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(Math.min(HASH_READ_BYTES, Math.max(1, file.size)));
  for (let position = 0; position < file.size; ) {
    const read = await file.read(buffer, Math.min(buffer.length, file.size - position), position);
    if (read.length === 0) break;
    hash.update(read);
    position += read.length;
  }
  return hash.digest("hex");
}
