/**
 * RandomAccessReader implementations: a local file read through openFileReader decrypts ranges like the
 * in-memory reader, short reads at the end are reported, and a file that shrinks after open is an error.
 */
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptBuffer } from "./buffer";
import { decryptRange, openSealedFile } from "./random-access";
import { bufferReader, openFileReader } from "./reader";
import { patternBytes, TEST_KEY } from "./testing";

let dir: string;
const plaintext = patternBytes(300_000, 3);
const sealed = encryptBuffer(plaintext, { key: TEST_KEY, datasetId: "ds-reader", chunkSize: 4096 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cce4long-reader-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("RandomAccessReader", () => {
  it("decrypts ranges from a local file", async () => {
    const path = join(dir, "sealed");
    await writeFile(path, sealed);
    const reader = await openFileReader(path);
    try {
      expect(reader.size).toBe(sealed.length);
      for (const [a, b] of [
        [0, 1],
        [4095, 4097],
        [123_456, 200_000],
        [299_999, 300_000],
      ] as const) {
        expect(Buffer.from(await decryptRange(reader, TEST_KEY, a, b)).equals(plaintext.subarray(a, b))).toBe(
          true,
        );
      }
      expect((await reader.read(sealed.length - 3, 10)).length).toBe(3);
    } finally {
      await reader.close();
    }
  });

  it("the in-memory reader clamps reads at the end", async () => {
    expect((await bufferReader(Uint8Array.of(1, 2, 3)).read(2, 5)).length).toBe(1);
  });

  it("error: a file that shrinks after it was opened fails the read with SEAL_INTEGRITY", async () => {
    const path = join(dir, "shrinking");
    await writeFile(path, sealed);
    const reader = await openFileReader(path);
    try {
      const opened = await openSealedFile(reader, TEST_KEY);
      await truncate(path, 1000);
      await expect(opened.read(250_000, 260_000)).rejects.toMatchObject({ code: "SEAL_INTEGRITY" });
      opened.close();
    } finally {
      await reader.close();
    }
  });
});
