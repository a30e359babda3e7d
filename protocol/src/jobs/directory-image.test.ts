/**
 * Tests of the directory image digest (runs in Node under vitest).
 */
import { sha256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { directoryImageDigest } from "./directory-image";

const A = { path: "main.py", sha256: "a".repeat(64) };
const B = { path: "lib/util.py", sha256: "b".repeat(64) };

describe("directoryImageDigest", () => {
  it("is sha256 of the canonical sorted file list", () => {
    const manifest = `{"apiVersion":"cce4long.dev/directory-image/v1","files":[{"path":"lib/util.py","sha256":"${B.sha256}"},{"path":"main.py","sha256":"${A.sha256}"}]}`;
    expect(directoryImageDigest([A, B])).toBe(`sha256:${sha256(stringToBytes(manifest)).slice(2)}`);
  });

  it("does not depend on listing order, and changes with any file's content", () => {
    expect(directoryImageDigest([A, B])).toBe(directoryImageDigest([B, A]));
    expect(directoryImageDigest([A, { ...B, sha256: "c".repeat(64) }])).not.toBe(
      directoryImageDigest([A, B]),
    );
  });

  it("error: absolute or escaping paths, duplicates, malformed hashes", () => {
    expect(() => directoryImageDigest([{ ...A, path: "/etc/x" }])).toThrow(/relative/);
    expect(() => directoryImageDigest([{ ...A, path: "../x" }])).toThrow(/relative/);
    expect(() => directoryImageDigest([A, A])).toThrow(/twice/);
    expect(() => directoryImageDigest([{ ...A, sha256: "XYZ" }])).toThrow(/64 lowercase hex/);
  });
});
