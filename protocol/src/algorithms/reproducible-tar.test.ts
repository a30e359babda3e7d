/**
 * Reproducible tarballs (runs anywhere): same files in any order give the same bytes, and only
 * tarballs in the reproducible form are accepted back. GNU tar reading them: enclave-runtime/src/algorithms.
 */
import { describe, expect, it } from "vitest";
import { createTar, readTar } from "./reproducible-tar";

const enc = (s: string) => new TextEncoder().encode(s);
const FILES = [
  { path: "main.py", bytes: enc("print('hello')\n") },
  { path: "lib/util.py", bytes: enc("X = 1\n"), executable: true },
  { path: `${"deep/".repeat(30)}file.txt`, bytes: new Uint8Array(1000).fill(7) },
];

describe("createTar", () => {
  it("gives the same bytes whatever the input order", () => {
    const a = createTar(FILES);
    const b = createTar([...FILES].reverse());
    expect(a).toEqual(b);
    expect(a.length % 512).toBe(0);
  });

  it("round-trips through readTar", () => {
    const files = readTar(createTar(FILES));
    expect(files.map((f) => f.path)).toEqual([...FILES.map((f) => f.path)].sort());
    expect(files.find((f) => f.path === "lib/util.py")).toMatchObject({
      executable: true,
      bytes: enc("X = 1\n"),
    });
  });

  it("error: unsafe or duplicate paths are refused", () => {
    for (const path of ["/etc/passwd", "../x", "a/../b", "a//b", "", "dir/"]) {
      expect(() => createTar([{ path, bytes: enc("x") }])).toThrow(/file path must be relative/);
    }
    expect(() => createTar([FILES[0]!, FILES[0]!])).toThrow("file main.py is listed twice");
  });
});

describe("readTar", () => {
  it("error: a tarball with a changed mtime (not reproducible) is refused", () => {
    const tar = createTar(FILES);
    tar[136] = 0x31; // first mtime digit: 1 instead of 0 (checksum now wrong too)
    expect(() => readTar(tar)).toThrow(/not in the reproducible form/);
  });

  it("error: a truncated tarball is refused", () => {
    const tar = createTar(FILES);
    expect(() => readTar(tar.slice(0, 700))).toThrow();
  });
});
