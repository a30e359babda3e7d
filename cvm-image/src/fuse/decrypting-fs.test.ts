/**
 * The decrypting FUSE shows plaintext read-only, refuses tampered or swapped files with EIO, and is
 * readable from inside the job sandbox (runs as root on the developer's machine / CI: needs /dev/fuse).
 * The FUSE is served by this test's own event loop: only asynchronous file calls may touch the mount.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encryptBuffer } from "@cce4long/sealing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BubblewrapSandbox } from "../sandbox/bubblewrap";
import { type DecryptingMount, mountDecrypting } from "./decrypting-fs";
import { filesUnder } from "./file-table";

const key = randomBytes(32);
const datasetId = "ds-fuse-test";
let root: string;
let lower: string;
let mount: DecryptingMount;
const integrityErrors: string[] = [];
const csv = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `${i},${(i * 7) % 100}\n`).join(""));
const big = randomBytes(3 * 65_536 + 123);

function seal(plain: Uint8Array): Uint8Array {
  return encryptBuffer(plain, { key, datasetId, chunkSize: 65_536 });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "cce4long-fuse-"));
  lower = join(root, "lower");
  mkdirSync(join(lower, "nested"), { recursive: true });
  writeFileSync(join(lower, "cohort.csv"), seal(csv));
  writeFileSync(join(lower, "nested", "big.bin"), seal(big));
  writeFileSync(join(lower, "empty.txt"), seal(new Uint8Array(0)));
  const tampered = seal(big);
  tampered[tampered.length - 70_000]! ^= 0x01;
  writeFileSync(join(lower, "tampered.bin"), tampered);
  const files = filesUnder(lower).map((f) => (f.path === "cohort.csv" ? { ...f } : f));
  // A file whose header carries another file id than the manifest says: a swapped file.
  files.push({ path: "swapped.csv", lowerPath: join(lower, "cohort.csv"), expectedFileId: "00".repeat(16) });
  // A file the agent's check already opened: its size is known, so a stat reads nothing below. Its
  // ciphertext is not even there, so any lower read would show as an error.
  files.push({ path: "checked.csv", lowerPath: join(lower, "not-there.c4le"), plaintextBytes: 1234 });
  mount = await mountDecrypting({
    mountpoint: join(root, "data"),
    files,
    keyFor: (id, version) => {
      if (id !== datasetId || version !== 1) throw new Error("unknown key");
      return key;
    },
    onIntegrityError: (path) => integrityErrors.push(path),
  });
});

afterAll(async () => {
  await mount?.unmount();
  rmSync(root, { recursive: true, force: true });
});

describe("decrypting FUSE", () => {
  it("lists the dataset's files and folders", async () => {
    expect((await readdir(mount.mountpoint)).sort()).toEqual([
      "checked.csv",
      "cohort.csv",
      "empty.txt",
      "nested",
      "swapped.csv",
      "tampered.bin",
    ]);
    expect(await readdir(join(mount.mountpoint, "nested"))).toEqual(["big.bin"]);
  });

  it("answers a stat from the size the agent's check authenticated, without reading the lower layer", async () => {
    expect((await stat(join(mount.mountpoint, "checked.csv"))).size).toBe(1234);
    await expect(readFile(join(mount.mountpoint, "checked.csv"))).rejects.toMatchObject({ code: "EIO" });
  });

  it("shows the plaintext, byte for byte, across chunk boundaries", async () => {
    expect(Buffer.compare(await readFile(join(mount.mountpoint, "cohort.csv")), csv)).toBe(0);
    expect(Buffer.compare(await readFile(join(mount.mountpoint, "nested", "big.bin")), big)).toBe(0);
    expect((await readFile(join(mount.mountpoint, "empty.txt"))).length).toBe(0);
  });

  it("answers a tampered chunk with an I/O error, not wrong bytes", async () => {
    await expect(readFile(join(mount.mountpoint, "tampered.bin"))).rejects.toMatchObject({ code: "EIO" });
    expect(integrityErrors).toContain("tampered.bin");
  });

  it("refuses a file swapped for another valid file of the same dataset", async () => {
    await expect(readFile(join(mount.mountpoint, "swapped.csv"))).rejects.toMatchObject({ code: "EIO" });
  });

  it("is read-only", async () => {
    await expect(writeFile(join(mount.mountpoint, "cohort.csv"), "x")).rejects.toMatchObject({
      code: "EROFS",
    });
    await expect(writeFile(join(mount.mountpoint, "new.txt"), "x")).rejects.toMatchObject({ code: "EROFS" });
  });

  it("is readable from inside the job sandbox as /data", async () => {
    const out = join(root, "out");
    mkdirSync(out);
    const result = await new BubblewrapSandbox().run({
      command: ["/usr/bin/python3", "-c", "print(sum(1 for _ in open('/data/cohort.csv')))"],
      dataDir: mount.mountpoint,
      outputDir: out,
      timeoutMs: 20_000,
    });
    expect(result.stderrTail).toBe("");
    expect(result.stdoutTail.trim()).toBe("20000");
  });
});
