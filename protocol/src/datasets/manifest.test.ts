/**
 * Dataset manifest and Merkle root (docs/dataset-manifest.md): canonical order, root binding, RFC 6962
 * tree shape and inclusion proofs, and every rejection a verifier makes.
 */
import { sha256 } from "@noble/hashes/sha2";
import { describe, expect, it } from "vitest";
import {
  buildManifest,
  computeManifestRoot,
  DATASET_MANIFEST_FORMAT,
  type DatasetManifestBody,
  inclusionProof,
  leafHash,
  type ManifestEntry,
  merkleTreeHash,
  rootFromInclusionProof,
  verifyManifest,
} from "./manifest";

function entry(path: string, overrides: Partial<ManifestEntry> = {}): ManifestEntry {
  return {
    kind: "data",
    path,
    objectKey: `obj/${path}`,
    fileId: "ab".repeat(16),
    keyVersion: 1,
    chunkSize: 65536,
    plaintextBytes: 100,
    ciphertextBytes: 100 + 16 + 172,
    ciphertextSha256: "cd".repeat(32),
    rows: 3,
    ...overrides,
  };
}

function body(entries: ManifestEntry[]): DatasetManifestBody {
  return {
    format: DATASET_MANIFEST_FORMAT,
    datasetId: `0x${"11".repeat(32)}`,
    uploadId: "0123456789abcdef0123456789abcdef",
    createdAt: "2026-11-21T10:00:00.000Z",
    entries,
  };
}

const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe("dataset manifest root", () => {
  it("is the same whatever order the entries are given in", () => {
    const a = buildManifest(
      body([entry("b.csv"), entry("a.csv"), entry(".cce4long/fp", { kind: "fingerprints" })]),
    );
    const b = buildManifest(
      body([entry(".cce4long/fp", { kind: "fingerprints" }), entry("a.csv"), entry("b.csv")]),
    );
    expect(a.root).toBe(b.root);
    expect(a.entries.map((e) => e.path)).toEqual(["a.csv", "b.csv", ".cce4long/fp"]);
  });

  it("changes when any leaf field, the dataset, the upload or the time changes", () => {
    const base = buildManifest(body([entry("a.csv"), entry("b.csv")])).root;
    const variants: DatasetManifestBody[] = [
      body([entry("a.csv", { ciphertextSha256: "ce".repeat(32) }), entry("b.csv")]),
      body([entry("a.csv", { rows: null }), entry("b.csv")]),
      body([entry("a.csv", { fileId: "ac".repeat(16) }), entry("b.csv")]),
      body([entry("a.csv", { keyVersion: 2 }), entry("b.csv")]),
      body([entry("a.csv", { objectKey: "elsewhere" }), entry("b.csv")]),
      { ...body([entry("a.csv"), entry("b.csv")]), datasetId: `0x${"22".repeat(32)}` },
      { ...body([entry("a.csv"), entry("b.csv")]), uploadId: "f".repeat(32) },
      { ...body([entry("a.csv"), entry("b.csv")]), createdAt: "2026-11-21T10:00:01.000Z" },
    ];
    const roots = variants.map((v) => buildManifest(v).root);
    expect(new Set([base, ...roots]).size).toBe(roots.length + 1);
  });

  it("hashes leaves and nodes as RFC 6962 does (0x00 leaf, 0x01 node, split at the largest power of two)", () => {
    const leaves = [1, 2, 3].map((n) => sha256(Uint8Array.of(n)));
    const node = (l: Uint8Array, r: Uint8Array) => sha256(cat(Uint8Array.of(1), l, r));
    expect(merkleTreeHash(leaves)).toEqual(node(node(leaves[0]!, leaves[1]!), leaves[2]!));
    expect(merkleTreeHash([leaves[0]!])).toEqual(leaves[0]);
    expect(() => merkleTreeHash([])).toThrow(/at least one leaf/);
    const e = entry("a.csv");
    expect(leafHash(e)).toEqual(sha256(cat(Uint8Array.of(0), encode(e))));
  });

  it("proves the inclusion of every leaf for tree sizes 1 to 17, and refuses a proof for another index", () => {
    for (let size = 1; size <= 17; size++) {
      const leaves = Array.from({ length: size }, (_, i) => sha256(Uint8Array.of(i, size)));
      const root = merkleTreeHash(leaves);
      for (let i = 0; i < size; i++) {
        const proof = inclusionProof(leaves, i);
        expect(rootFromInclusionProof(leaves[i]!, i, size, proof)).toEqual(root);
        if (size > 1) {
          const other = (i + 1) % size;
          let same = false;
          try {
            same = equal(rootFromInclusionProof(leaves[i]!, other, size, proof), root);
          } catch {
            same = false;
          }
          expect(same).toBe(false);
        }
      }
    }
  });
});

describe("verifyManifest", () => {
  const good = buildManifest(body([entry("a.csv"), entry("b.csv")]));

  it("accepts a manifest whose root matches, and the on-chain root in any letter case", () => {
    expect(
      verifyManifest(JSON.parse(JSON.stringify(good)), good.root.toUpperCase().replace("0X", "0x")).root,
    ).toBe(good.root);
  });

  it("rejects an edited entry, a foreign root, a reordering, a duplicate path and no data entry", () => {
    const edited = { ...good, entries: [{ ...good.entries[0]!, rows: 4 }, good.entries[1]!] };
    expect(() => verifyManifest(edited)).toThrow(/does not match/);
    expect(() => verifyManifest(good, `0x${"00".repeat(32)}`)).toThrow(/expected/);
    const reordered = { ...good, entries: [good.entries[1]!, good.entries[0]!] };
    expect(() => verifyManifest(reordered)).toThrow(/canonical order/);
    expect(() => computeManifestRoot(body([entry("a.csv"), entry("a.csv")]))).toThrow(/twice/);
    expect(() => computeManifestRoot(body([entry("fp", { kind: "fingerprints" })]))).toThrow(/no data entry/);
  });

  it("rejects unsafe paths and malformed fields with DATASET_MANIFEST_INVALID", () => {
    for (const path of ["/etc/passwd", "a/../b", "a//b", "./a", "a\\b"]) {
      expect(() => computeManifestRoot(body([entry(path)]))).toThrow(
        expect.objectContaining({ code: "DATASET_MANIFEST_INVALID" }),
      );
    }
    expect(() => computeManifestRoot(body([entry("a", { fileId: "xyz" })]))).toThrow(/malformed/);
    expect(() => verifyManifest({ ...good, format: "other" })).toThrow(/malformed/);
  });
});

function encode(e: ManifestEntry): Uint8Array {
  // An independent re-implementation of the leaf encoding in docs/dataset-manifest.md.
  const te = new TextEncoder();
  const lp = (s: string) => {
    const b = te.encode(s);
    const out = new Uint8Array(4 + b.length);
    new DataView(out.buffer).setUint32(0, b.length);
    out.set(b, 4);
    return out;
  };
  const fixed = new Uint8Array(80);
  const v = new DataView(fixed.buffer);
  fixed.set(Buffer.from(e.fileId, "hex"), 0);
  v.setUint32(16, e.keyVersion);
  v.setUint32(20, e.chunkSize);
  v.setBigUint64(24, BigInt(e.plaintextBytes));
  v.setBigUint64(32, BigInt(e.ciphertextBytes));
  fixed.set(Buffer.from(e.ciphertextSha256, "hex"), 40);
  v.setBigUint64(72, e.rows === null ? 2n ** 64n - 1n : BigInt(e.rows));
  return cat(lp(e.kind), lp(e.path), lp(e.objectKey), fixed);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
