/**
 * SealedFile.readInto: random-access decryption straight into a caller's buffer (what the decrypting
 * FUSE uses). Same bytes as read(); on any failure the target holds zeros, never partial plaintext.
 */
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { encryptBuffer } from "./buffer";
import { openSealedFile } from "./random-access";
import { bufferReader } from "./reader";

const key = randomBytes(32);
const plain = randomBytes(5 * 256 + 17);
const sealed = encryptBuffer(plain, { key, datasetId: "ds-read-into", chunkSize: 256 });

describe("SealedFile.readInto", () => {
  it("writes exactly plaintext [start, end) at the start of the target, across chunk boundaries", async () => {
    const file = await openSealedFile(bufferReader(sealed), key);
    for (const [start, end] of [
      [0, plain.length],
      [250, 770],
      [256, 512],
      [plain.length - 1, plain.length],
      [100, 100],
    ] as const) {
      const target = Buffer.alloc(end - start + 8, 0xee);
      expect(await file.readInto(start, end, target)).toBe(end - start);
      expect(Buffer.compare(target.subarray(0, end - start), plain.subarray(start, end))).toBe(0);
      expect(target.subarray(end - start).every((b) => b === 0xee)).toBe(true);
    }
  });

  it("error: a tampered chunk leaves the target zeroed and throws SEAL_INTEGRITY", async () => {
    const tampered = Uint8Array.from(sealed);
    tampered[tampered.length - 40]! ^= 1;
    const file = await openSealedFile(bufferReader(tampered), key);
    const target = Buffer.alloc(plain.length, 0xee);
    await expect(file.readInto(0, plain.length, target)).rejects.toMatchObject({ code: "SEAL_INTEGRITY" });
    expect(target.every((b) => b === 0)).toBe(true);
  });

  it("error: a target smaller than the range, or a range outside the file, is refused before reading", async () => {
    const file = await openSealedFile(bufferReader(sealed), key);
    await expect(file.readInto(0, 100, Buffer.alloc(99))).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    await expect(file.readInto(0, plain.length + 1, Buffer.alloc(plain.length + 1))).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    await expect(file.read(0, 2 ** 60)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
