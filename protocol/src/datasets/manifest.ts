/**
 * The dataset version manifest and its Merkle root (runs anywhere: Privacy Plane, FUSE, CLI, auditors).
 * Spec: docs/dataset-manifest.md. The manifest holds no plaintext and no key, so it is stored in clear;
 * its root is what the Privacy Plane commits on-chain as the dataset version.
 */
import { sha256 } from "@noble/hashes/sha2";
import { z } from "zod";
import { Cce4longError } from "../errors/index";

export const DATASET_MANIFEST_FORMAT = "cce4long/dataset-manifest/v1";

/** Domain-separation prefixes (RFC 6962 uses 0x00 / 0x01 for leaves / nodes; 0x02 is the root binding). */
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const ROOT_PREFIX = 0x02;
/** `rows` of an entry that is not a table (or whose rows were not counted). */
const NO_ROWS = 0xffff_ffff_ffff_ffffn;

/** What an entry is: a provider's file, or something ingest derived from the files. */
export const MANIFEST_ENTRY_KINDS = ["data", "fingerprints", "explore-sample"] as const;
export type ManifestEntryKind = (typeof MANIFEST_ENTRY_KINDS)[number];

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes as lowercase hex`);

/** A provider's relative POSIX path: no leading `/`, no `.`/`..` segments, no empty segments, no NUL. */
export const DatasetFilePathSchema = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) =>
      !p.startsWith("/") &&
      !p.includes("\0") &&
      !p.includes("\\") &&
      p.split("/").every((s) => s !== "" && s !== "." && s !== ".."),
    "must be a relative POSIX path without empty, '.' or '..' segments",
  );

export const ManifestEntrySchema = z.strictObject({
  kind: z.enum(MANIFEST_ENTRY_KINDS),
  /** Path as consumers see it under /data (for derived entries: a name under `.cce4long/`). */
  path: DatasetFilePathSchema,
  /** Key of the ciphertext object in the datasets bucket. */
  objectKey: z.string().min(1).max(1024),
  /** The encrypted file's header file id (docs/encrypted-file-format.md, section 4). */
  fileId: hex(16),
  keyVersion: z.number().int().min(1).max(0x7fffffff),
  chunkSize: z
    .number()
    .int()
    .min(64)
    .max(16 * 1024 * 1024),
  plaintextBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  ciphertextBytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** SHA-256 of the whole ciphertext object. */
  ciphertextSha256: hex(32),
  /** Data rows of a table (CSV: lines after the header); null when not a table. */
  rows: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
});
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

export const DatasetManifestBodySchema = z.strictObject({
  format: z.literal(DATASET_MANIFEST_FORMAT),
  /** The on-chain dataset id (bytes32, lowercase 0x-hex). */
  datasetId: z.string().regex(/^0x[0-9a-f]{64}$/),
  /** The upload this version was ingested from (its retries produce the same version). */
  uploadId: z.string().regex(/^[0-9a-f]{32}$/),
  createdAt: z.iso.datetime(),
  /** Sorted by (kind, path), unique by path; at least one data entry. */
  entries: z.array(ManifestEntrySchema).min(1).max(100_000),
});
export type DatasetManifestBody = z.infer<typeof DatasetManifestBodySchema>;

export const DatasetManifestSchema = DatasetManifestBodySchema.extend({
  /** computeManifestRoot(body) as 0x-hex: the value committed on-chain. */
  root: z.string().regex(/^0x[0-9a-f]{64}$/),
});
export type DatasetManifest = z.infer<typeof DatasetManifestSchema>;

/** Orders entries canonically: by kind (in MANIFEST_ENTRY_KINDS order), then by path (UTF-16 code units). */
export function sortEntries(entries: readonly ManifestEntry[]): ManifestEntry[] {
  const rank = (k: ManifestEntryKind) => MANIFEST_ENTRY_KINDS.indexOf(k);
  return [...entries].sort(
    (a, b) => rank(a.kind) - rank(b.kind) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

/** leaf = SHA-256(0x00 || encodeEntry(entry)). */
export function leafHash(entry: ManifestEntry): Uint8Array {
  return sha256(concat([Uint8Array.of(LEAF_PREFIX), encodeEntry(entry)]));
}

/** RFC 6962 Merkle Tree Hash over leaf hashes (n >= 1): split at the largest power of two below n. */
export function merkleTreeHash(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw invalid("a Merkle tree needs at least one leaf");
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeHash(merkleTreeHash(leaves.slice(0, k)), merkleTreeHash(leaves.slice(k)));
}

/** The manifest root: SHA-256(0x02 || header fields || MTH(entries)), as 0x-hex. */
export function computeManifestRoot(body: DatasetManifestBody): `0x${string}` {
  const parsed = parseBody(body);
  const tree = merkleTreeHash(parsed.entries.map(leafHash));
  const header = concat([
    lp(utf8(parsed.format)),
    lp(utf8(parsed.datasetId)),
    lp(utf8(parsed.uploadId)),
    lp(utf8(parsed.createdAt)),
  ]);
  return toHex(sha256(concat([Uint8Array.of(ROOT_PREFIX), header, tree])));
}

/** Sorts the entries, checks the body and adds its root. */
export function buildManifest(body: DatasetManifestBody): DatasetManifest {
  const sorted = { ...body, entries: sortEntries(body.entries) };
  return { ...sorted, root: computeManifestRoot(sorted) };
}

/** Parses a stored manifest and checks its root (and `expectedRoot`, e.g. the on-chain one). */
export function verifyManifest(value: unknown, expectedRoot?: string): DatasetManifest {
  const parsed = DatasetManifestSchema.safeParse(value);
  if (!parsed.success) {
    throw invalid("manifest is malformed", { issues: parsed.error.issues.map((i) => i.path.join(".")) });
  }
  const { root, ...body } = parsed.data;
  const computed = computeManifestRoot(body);
  if (computed !== root) throw invalid("manifest root does not match its entries", { root, computed });
  if (expectedRoot !== undefined && expectedRoot.toLowerCase() !== root) {
    throw invalid("manifest root is not the expected (on-chain) root", { root, expectedRoot });
  }
  return parsed.data;
}

/** RFC 6962 audit path of leaf `index` (sibling hashes from the leaf up). */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length)
    throw invalid("leaf index out of range");
  if (leaves.length === 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return index < k
    ? [...inclusionProof(leaves.slice(0, k), index), merkleTreeHash(leaves.slice(k))]
    : [...inclusionProof(leaves.slice(k), index - k), merkleTreeHash(leaves.slice(0, k))];
}

/** Recomputes MTH from one leaf and its audit path (RFC 9162, section 2.1.3.2). */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= size) throw invalid("leaf index out of range");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw invalid("inclusion proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn !== 0) throw invalid("inclusion proof is too short");
  return r;
}

/**
 * The leaf's bytes: lp(kind) || lp(path) || lp(objectKey) || fileId (16) || u32 keyVersion ||
 * u32 chunkSize || u64 plaintextBytes || u64 ciphertextBytes || ciphertextSha256 (32) || u64 rows
 * (2^64-1 for null). lp(x) = u32 big-endian length || x; strings are UTF-8.
 */
export function encodeEntry(entry: ManifestEntry): Uint8Array {
  const fixed = new Uint8Array(16 + 4 + 4 + 8 + 8 + 32 + 8);
  const view = new DataView(fixed.buffer);
  fixed.set(fromHex(entry.fileId), 0);
  view.setUint32(16, entry.keyVersion);
  view.setUint32(20, entry.chunkSize);
  view.setBigUint64(24, BigInt(entry.plaintextBytes));
  view.setBigUint64(32, BigInt(entry.ciphertextBytes));
  fixed.set(fromHex(entry.ciphertextSha256), 40);
  view.setBigUint64(72, entry.rows === null ? NO_ROWS : BigInt(entry.rows));
  return concat([lp(utf8(entry.kind)), lp(utf8(entry.path)), lp(utf8(entry.objectKey)), fixed]);
}

function parseBody(body: DatasetManifestBody): DatasetManifestBody {
  const parsed = DatasetManifestBodySchema.safeParse(body);
  if (!parsed.success) {
    throw invalid("manifest is malformed", { issues: parsed.error.issues.map((i) => i.path.join(".")) });
  }
  const entries = parsed.data.entries;
  const sorted = sortEntries(entries);
  if (sorted.some((e, i) => e !== entries[i])) throw invalid("manifest entries are not in canonical order");
  const paths = new Set(entries.map((e) => e.path));
  if (paths.size !== entries.length) throw invalid("manifest lists a path twice");
  if (!entries.some((e) => e.kind === "data")) throw invalid("manifest has no data entry");
  return parsed.data;
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(concat([Uint8Array.of(NODE_PREFIX), left, right]));
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function lp(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

function utf8(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function fromHex(value: string): Uint8Array {
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): `0x${string}` {
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function invalid(message: string, detail?: Record<string, unknown>): Cce4longError {
  return new Cce4longError("DATASET_MANIFEST_INVALID", message, detail ? { detail } : {});
}
