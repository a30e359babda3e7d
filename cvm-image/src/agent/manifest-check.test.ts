/**
 * The boot agent's manifest checks (runs in Node, no TEE): a lower layer is accepted only if it is
 * exactly the credential's dataset version (root, dataset, file set, sizes, header fields, hashes),
 * and every header is authenticated with the released key before anything is mounted. The lower layer
 * here is a folder whose files are offered by manifest path (the object-store reader has its own test).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildManifest,
  DATASET_MANIFEST_FORMAT,
  type DatasetManifest,
  type ManifestEntry,
} from "@cce4long/protocol/datasets/manifest";
import { encryptBuffer, parseHeader } from "@cce4long/sealing";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { directoryLowerLayer } from "../fuse/directory-lower-layer";
import { filesUnder } from "../fuse/file-table";
import type { LowerLayer } from "../fuse/lower-layer";
import { ensureLowerMatchesManifest, type ManifestCheckOptions } from "./manifest-check";

const datasetId = `0x${"ab".repeat(32)}`;
const key = randomBytes(32);
const root = mkdtempSync(join(tmpdir(), "cce4long-manifest-check-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let lower: string;
let manifest: DatasetManifest;
/** The manifest as the key-release answer would carry it. */
let received: unknown;
const sealed: Record<string, Buffer> = {};

function entryFor(path: string, bytes: Buffer): ManifestEntry {
  const { header } = parseHeader(bytes.subarray(0, 234));
  return {
    kind: "data",
    path,
    objectKey: `${datasetId}/uploads/u/files/${path}.c4le`,
    fileId: Buffer.from(header.fileId).toString("hex"),
    keyVersion: header.keyVersion,
    chunkSize: header.chunkSize,
    plaintextBytes: header.plaintextLength,
    ciphertextBytes: bytes.length,
    ciphertextSha256: createHash("sha256").update(bytes).digest("hex"),
    rows: null,
  };
}

function writeManifest(entries: ManifestEntry[], id = datasetId): DatasetManifest {
  const built = buildManifest({
    format: DATASET_MANIFEST_FORMAT,
    datasetId: id,
    uploadId: "0".repeat(32),
    createdAt: "2026-12-04T00:00:00.000Z",
    entries,
  });
  received = JSON.parse(JSON.stringify(built));
  return built;
}

/** A fresh lower layer per test: two same-size files and a nested one, with their manifest. */
beforeEach(() => {
  lower = mkdtempSync(join(root, "lower-"));
  mkdirSync(join(lower, "nested"));
  for (const path of ["a.csv", "b.csv", "nested/c.bin"]) {
    sealed[path] = Buffer.from(encryptBuffer(randomBytes(5000), { key, datasetId, chunkSize: 1024 }));
    writeFileSync(join(lower, path), sealed[path]!);
  }
  manifest = writeManifest(Object.entries(sealed).map(([path, bytes]) => entryFor(path, bytes)));
});

/** The folder's files by their path under it, as object keys would be offered by manifest path. */
const folderLayer = (): LowerLayer => ({ open: (path) => directoryLowerLayer.open(join(lower, path)) });

const check = (overrides: Partial<ManifestCheckOptions> = {}) =>
  ensureLowerMatchesManifest({
    manifest: received,
    present: filesUnder(lower).map((file) => file.path),
    lower: folderLayer(),
    datasetId,
    manifestRoot: manifest.root,
    keys: new Map([[1, key]]),
    ...overrides,
  });

describe("boot agent: lower layer against the dataset version manifest", () => {
  it("accepts exactly the manifest's files and gives each its expected file id", async () => {
    const checked = await check();
    expect(checked.files.map((f) => f.path)).toEqual(["a.csv", "b.csv", "nested/c.bin"]);
    for (const file of checked.files) {
      expect(file.expectedFileId).toBe(entryFor(file.path, sealed[file.path]!).fileId);
    }
    expect(checked.files.map((f) => f.lowerPath)).toEqual(["a.csv", "b.csv", "nested/c.bin"]);
    // The authenticated plaintext size, so the mount answers a stat without reading the lower layer.
    expect(checked.files.map((f) => f.plaintextBytes)).toEqual([5000, 5000, 5000]);
  });

  it("refuses a manifest whose root is not the credential's", async () => {
    await expect(check({ manifestRoot: `0x${"11".repeat(32)}` })).rejects.toMatchObject({
      code: "DATASET_MANIFEST_INVALID",
    });
  });

  it("refuses a manifest of another dataset, even with a matching root", async () => {
    const other = writeManifest(
      Object.entries(sealed).map(([path, bytes]) => entryFor(path, bytes)),
      `0x${"cd".repeat(32)}`,
    );
    await expect(check({ manifestRoot: other.root })).rejects.toMatchObject({
      code: "DATASET_MANIFEST_INVALID",
    });
  });

  it("refuses no manifest, a malformed one, or an edited one", async () => {
    const edited = { ...manifest, entries: manifest.entries.slice(1) };
    for (const bad of [edited, undefined, { nope: true }]) {
      await expect(check({ manifest: bad })).rejects.toMatchObject({ code: "DATASET_MANIFEST_INVALID" });
    }
  });

  it("refuses a file offered twice", async () => {
    await expect(check({ present: ["a.csv", "a.csv", "b.csv", "nested/c.bin"] })).rejects.toMatchObject({
      code: "SEAL_INTEGRITY",
      detail: { path: "a.csv" },
    });
  });

  it("refuses an extra file the manifest does not list", async () => {
    writeFileSync(join(lower, "extra.csv"), sealed["a.csv"]!);
    await expect(check()).rejects.toMatchObject({ code: "SEAL_INTEGRITY", detail: { path: "extra.csv" } });
  });

  it("refuses a missing file the manifest lists", async () => {
    rmSync(join(lower, "nested", "c.bin"));
    await expect(check()).rejects.toMatchObject({
      code: "SEAL_INTEGRITY",
      detail: { path: "nested/c.bin" },
    });
  });

  it("refuses two files swapped with each other (same sizes, other file ids)", async () => {
    renameSync(join(lower, "a.csv"), join(lower, "tmp"));
    renameSync(join(lower, "b.csv"), join(lower, "a.csv"));
    renameSync(join(lower, "tmp"), join(lower, "b.csv"));
    const error = await check().catch((e: Error) => e);
    expect(error).toMatchObject({ code: "SEAL_INTEGRITY" });
    expect((error as Error).message).toContain("file id");
  });

  it("refuses a file whose size is not the manifest's", async () => {
    writeFileSync(join(lower, "b.csv"), Buffer.concat([sealed["b.csv"]!, Buffer.from([0])]));
    const error = await check().catch((e: Error) => e);
    expect(error).toMatchObject({ code: "SEAL_INTEGRITY", detail: { path: "b.csv" } });
    expect((error as Error).message).toContain("bytes");
  });

  it("refuses a same-size file with a changed byte by its hash (within the hash limit)", async () => {
    const changed = Buffer.from(sealed["b.csv"]!);
    changed[changed.length - 1]! ^= 0x01;
    writeFileSync(join(lower, "b.csv"), changed);
    const error = await check().catch((e: Error) => e);
    expect((error as Error).message).toContain("SHA-256");
    // Above the hash limit the change is left to the FUSE's per-chunk tags, and the layer passes.
    await expect(check({ hashLimitBytes: 0 })).resolves.toBeDefined();
    // So it is past the total budget, which goes to the smallest files first.
    await expect(check({ hashBudgetBytes: 0 })).resolves.toBeDefined();
    const total = Object.values(sealed).reduce((sum, bytes) => sum + bytes.length, 0);
    await expect(check({ hashBudgetBytes: total })).rejects.toThrow(/SHA-256/);
  });

  it("refuses a header the released key does not authenticate, or a key version that was not released", async () => {
    await expect(check({ keys: new Map([[1, randomBytes(32)]]) })).rejects.toMatchObject({
      code: "SEAL_KEY_INVALID",
    });
    await expect(check({ keys: new Map([[2, key]]) })).rejects.toMatchObject({ code: "KEY_UNWRAP_FAILED" });
  });

  it("refuses a header whose fields are not the manifest's, even with its hash left to the chunk tags", async () => {
    // Same file id, size and hash in the manifest, but it claims another plaintext size: the header says otherwise.
    const entries = Object.entries(sealed).map(([path, bytes]) =>
      path === "a.csv" ? { ...entryFor(path, bytes), plaintextBytes: 4999 } : entryFor(path, bytes),
    );
    writeManifest(entries);
    const error = await check({ manifestRoot: (received as DatasetManifest).root }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: "SEAL_INTEGRITY", detail: { path: "a.csv" } });
    expect((error as Error).message).toContain("plaintext size");
  });
});
