/**
 * The boot agent's manifest checks (runs in Node, no TEE): a lower layer is accepted only if it is
 * exactly the credential's dataset version (root, dataset, file set, sizes, header file ids, hashes),
 * and every header is authenticated with the released key before anything is mounted.
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
import { ensureKeysOpenFiles } from "./dataset-files";
import { ensureLowerMatchesManifest, LOWER_MANIFEST_PATH } from "./manifest-check";

const datasetId = `0x${"ab".repeat(32)}`;
const key = randomBytes(32);
const root = mkdtempSync(join(tmpdir(), "cce4long-manifest-check-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let lower: string;
let manifest: DatasetManifest;
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
  writeFileSync(join(lower, LOWER_MANIFEST_PATH), JSON.stringify(built));
  return built;
}

/** A fresh lower layer per test: two same-size files and a nested one, with their manifest. */
beforeEach(() => {
  lower = mkdtempSync(join(root, "lower-"));
  mkdirSync(join(lower, ".cce4long"));
  mkdirSync(join(lower, "nested"));
  for (const path of ["a.csv", "b.csv", "nested/c.bin"]) {
    sealed[path] = Buffer.from(encryptBuffer(randomBytes(5000), { key, datasetId, chunkSize: 1024 }));
    writeFileSync(join(lower, path), sealed[path]!);
  }
  manifest = writeManifest(Object.entries(sealed).map(([path, bytes]) => entryFor(path, bytes)));
});

const check = (overrides: { manifestRoot?: string; datasetId?: string } = {}) =>
  ensureLowerMatchesManifest({ lowerDir: lower, datasetId, manifestRoot: manifest.root, ...overrides });

describe("boot agent: lower layer against the dataset version manifest", () => {
  it("accepts exactly the manifest's files and gives each its expected file id", async () => {
    const checked = await check();
    expect(checked.files.map((f) => f.path)).toEqual(["a.csv", "b.csv", "nested/c.bin"]);
    for (const file of checked.files) {
      expect(file.expectedFileId).toBe(entryFor(file.path, sealed[file.path]!).fileId);
    }
    await expect(ensureKeysOpenFiles(checked.files, new Map([[1, key]]))).resolves.toBeUndefined();
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

  it("refuses a lower layer without a manifest, or with an edited one", async () => {
    const edited = { ...manifest, entries: manifest.entries.slice(1) };
    writeFileSync(join(lower, LOWER_MANIFEST_PATH), JSON.stringify(edited));
    await expect(check()).rejects.toMatchObject({ code: "DATASET_MANIFEST_INVALID" });
    rmSync(join(lower, LOWER_MANIFEST_PATH));
    await expect(check()).rejects.toMatchObject({ code: "DATASET_MANIFEST_INVALID" });
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
    await expect(
      ensureLowerMatchesManifest({
        lowerDir: lower,
        datasetId,
        manifestRoot: manifest.root,
        hashLimitBytes: 0,
      }),
    ).resolves.toBeDefined();
  });

  it("refuses, once keys are released, a header whose authenticated file id is not the expected one", async () => {
    const checked = await check();
    const swapped = checked.files.map((f) =>
      f.path === "a.csv" ? { ...f, expectedFileId: "00".repeat(16) } : f,
    );
    await expect(ensureKeysOpenFiles(swapped, new Map([[1, key]]))).rejects.toMatchObject({
      code: "SEAL_INTEGRITY",
    });
    await expect(ensureKeysOpenFiles(checked.files, new Map([[1, randomBytes(32)]]))).rejects.toMatchObject({
      code: "SEAL_KEY_INVALID",
    });
  });
});
