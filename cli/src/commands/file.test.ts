/**
 * `cce4long file encrypt|decrypt|inspect`, run in-process through run(argv): round trip, key file rules,
 * exit codes on tamper and wrong keys, no partial plaintext left behind, and the key never printed.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EXIT } from "../exit-codes";
import { run } from "../main";

let dir: string;
const key = Buffer.from("a1".repeat(32), "hex");
const plaintext = Buffer.from(Array.from({ length: 150_000 }, (_, i) => (i * 31) % 256));
const p = (name: string) => join(dir, name);
let stdout = "";
let stderr = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cce4long-cli-file-"));
  await writeFile(p("key.bin"), key);
  await writeFile(p("key.hex"), `${key.toString("hex")}\n`);
  await writeFile(p("plain"), plaintext);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stdout = "";
  stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  // Whatever happened, the key must never have been printed.
  for (const text of [stdout, stderr]) {
    expect(text).not.toContain(key.toString("hex"));
    expect(text).not.toContain(key.toString("base64"));
  }
});

const encrypt = (out: string, ...extra: string[]) =>
  run(["file", "encrypt", "--key-file", p("key.bin"), "--dataset", "ds-cli", ...extra, p("plain"), p(out)]);

describe("cce4long file", () => {
  it("encrypts, inspects (--json) and decrypts back to the same bytes; hex and raw key files both work", async () => {
    expect(await encrypt("sealed", "--key-version", "4", "--chunk-size", "4096")).toBe(EXIT.OK);
    stdout = "";
    expect(await run(["--json", "file", "inspect", p("sealed")])).toBe(EXIT.OK);
    expect(JSON.parse(stdout)).toMatchObject({
      version: 1,
      datasetId: "ds-cli",
      keyVersion: 4,
      chunkSize: 4096,
      plaintextLength: plaintext.length,
      chunkCount: Math.ceil(plaintext.length / 4096),
      lengthMatchesHeader: true,
    });
    expect(JSON.parse(stdout).fileId).toMatch(/^[0-9a-f]{32}$/);
    expect(await run(["file", "decrypt", "--key-file", p("key.hex"), p("sealed"), p("plain.out")])).toBe(
      EXIT.OK,
    );
    expect((await readFile(p("plain.out"))).equals(plaintext)).toBe(true);
    expect((await stat(p("plain.out"))).mode & 0o777).toBe(0o600);
  });

  it("inspect prints the header in human form", async () => {
    expect(await encrypt("sealed-h")).toBe(EXIT.OK);
    stdout = "";
    expect(await run(["file", "inspect", p("sealed-h")])).toBe(EXIT.OK);
    expect(stdout).toMatch(/dataset id:\s+ds-cli/);
    expect(stdout).toMatch(/chunk size:\s+65536/);
    expect(stdout).toMatch(/chunks:\s+3/);
  });

  it("error: a tampered file exits 4 and leaves no output and no temp file", async () => {
    expect(await encrypt("sealed-t", "--chunk-size", "1024")).toBe(EXIT.OK);
    const sealed = await readFile(p("sealed-t"));
    sealed[sealed.length - 5_000]! ^= 0x01; // late in the file: earlier chunks already verified and streamed
    await writeFile(p("tampered"), sealed);
    const before = await readdir(dir);
    expect(await run(["file", "decrypt", "--key-file", p("key.bin"), p("tampered"), p("out-t")])).toBe(
      EXIT.VERIFICATION_FAILED,
    );
    expect(stderr).toMatch(/SEAL_INTEGRITY/);
    expect(await readdir(dir)).toEqual(before);
  });

  it("error: a truncated file exits 4 and an existing output file is left untouched", async () => {
    expect(await encrypt("sealed-c")).toBe(EXIT.OK);
    const sealed = await readFile(p("sealed-c"));
    await writeFile(p("truncated"), sealed.subarray(0, sealed.length - 100));
    await writeFile(p("existing"), "keep me");
    expect(await run(["file", "decrypt", "--key-file", p("key.bin"), p("truncated"), p("existing")])).toBe(
      EXIT.VERIFICATION_FAILED,
    );
    expect(await readFile(p("existing"), "utf8")).toBe("keep me");
  });

  it("error: the wrong key exits 3 with SEAL_KEY_INVALID", async () => {
    expect(await encrypt("sealed-k")).toBe(EXIT.OK);
    await writeFile(p("other.key"), Buffer.alloc(32, 7));
    expect(await run(["file", "decrypt", "--key-file", p("other.key"), p("sealed-k"), p("out-k")])).toBe(
      EXIT.INVALID_INPUT,
    );
    expect(stderr).toMatch(/SEAL_KEY_INVALID.*key check failed/);
  });

  it("error: key files that are neither 32 raw bytes nor 64 hex characters are refused without echoing them", async () => {
    const cases: [string, string | Buffer][] = [
      ["short.key", Buffer.alloc(31, 1)],
      ["long.key", Buffer.alloc(33, 1)],
      ["hex63.key", "a".repeat(63)],
      ["nothex.key", "g".repeat(64)],
      ["spaces.key", ` ${"b".repeat(64)}`],
    ];
    for (const [name, content] of cases) {
      await writeFile(p(name), content);
      stderr = "";
      expect(
        await run(["file", "encrypt", "--key-file", p(name), "--dataset", "d", p("plain"), p("x")]),
      ).toBe(EXIT.INVALID_INPUT);
      expect(stderr).toMatch(/must hold exactly 32 raw bytes or 64 hex characters/);
      expect(stderr).not.toContain(String(content).trim().slice(0, 20));
    }
    expect(
      await run(["file", "encrypt", "--key-file", p("missing.key"), "--dataset", "d", p("plain"), p("x")]),
    ).toBe(EXIT.NOT_FOUND);
  });

  it("error: bad flags and garbage input exit with invalid-input codes", async () => {
    expect(await encrypt("bad1", "--chunk-size", "12")).toBe(EXIT.INVALID_INPUT);
    expect(await encrypt("bad2", "--key-version", "x")).toBe(EXIT.INVALID_INPUT);
    expect(
      await run([
        "file",
        "encrypt",
        "--key-file",
        p("key.bin"),
        "--dataset",
        "bad/id",
        p("plain"),
        p("bad3"),
      ]),
    ).toBe(EXIT.INVALID_INPUT);
    expect((await readdir(dir)).some((f) => f.startsWith("bad") || f.includes(".partial"))).toBe(false);
    await writeFile(p("garbage"), "hello, this is not encrypted");
    expect(await run(["file", "inspect", p("garbage")])).toBe(EXIT.INVALID_INPUT);
    expect(stderr).toMatch(/SEAL_FORMAT_INVALID/);
    expect(await run(["file", "decrypt", "--key-file", p("key.bin"), p("garbage"), p("g.out")])).toBe(
      EXIT.INVALID_INPUT,
    );
    expect(await run(["file", "decrypt", "--key-file", p("key.bin")])).toBe(EXIT.USAGE);
    expect(await encrypt("no-such-dir/out")).toBe(EXIT.INVALID_INPUT);
    expect(stderr).toMatch(/cannot create the output beside/);
  });
});
