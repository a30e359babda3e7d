/**
 * Tamper tests: every rejection the spec lists (section 6 table, section 7) is detected by every reader
 * (whole buffer, random access, streaming) with the documented error code, and no plaintext is returned.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptBuffer, encryptBuffer } from "./buffer";
import { parseHeader } from "./header";
import { openSealedFile } from "./random-access";
import { bufferReader } from "./reader";
import { outcomes, patternBytes, TEST_KEY } from "./testing";

const CHUNK = 64;
const FRAME = CHUNK + 16;
const seal = (datasetId = "ds-tamper", plaintext = patternBytes(4 * CHUNK + 10), key = TEST_KEY) =>
  encryptBuffer(plaintext, { key, datasetId, chunkSize: CHUNK });
const file = seal();
const H = parseHeader(file).bytes.length;
const chunk = (f: Uint8Array, i: number) =>
  f.subarray(H + i * FRAME, Math.min(f.length, H + (i + 1) * FRAME));
const header = (f: Uint8Array) => f.subarray(0, H);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const all = (code: string) => [code, code, code];
const REJECTIONS = ["SEAL_FORMAT_INVALID", "SEAL_VERSION_UNSUPPORTED", "SEAL_KEY_INVALID", "SEAL_INTEGRITY"];

describe("file format tamper detection", () => {
  it("the untampered file opens in every reader (so the tests below can fail)", async () => {
    expect(await outcomes(file, TEST_KEY)).toEqual(["OK", "OK", "OK"]);
  });

  it("any single flipped bit anywhere in the file is rejected by every reader", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: file.length * 8 - 1 }), async (bit) => {
        const copy = file.slice();
        copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
        for (const code of await outcomes(copy, TEST_KEY)) expect(REJECTIONS).toContain(code);
      }),
      { numRuns: 400 },
    );
  });

  it("every bit of the header and of the last chunk's tag is covered (exhaustive)", async () => {
    const positions = [
      ...Array(H * 8).keys(),
      ...Array.from({ length: 128 }, (_, i) => (file.length - 16) * 8 + i),
    ];
    for (const bit of positions) {
      const copy = file.slice();
      copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
      expect(() => decryptBuffer(copy, TEST_KEY)).toThrow();
    }
  });

  it("error: chunks reordered", async () => {
    const swapped = cat(
      header(file),
      chunk(file, 1),
      chunk(file, 0),
      chunk(file, 2),
      chunk(file, 3),
      chunk(file, 4),
    );
    expect(swapped.length).toBe(file.length);
    expect(await outcomes(swapped, TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
  });

  it("error: a chunk duplicated over another", async () => {
    const dup = cat(
      header(file),
      chunk(file, 0),
      chunk(file, 1),
      chunk(file, 1),
      chunk(file, 3),
      chunk(file, 4),
    );
    expect(await outcomes(dup, TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
  });

  it("error: truncated exactly at a chunk boundary, and mid-chunk, and inside the header", async () => {
    expect(await outcomes(file.subarray(0, H + 4 * FRAME), TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
    expect(await outcomes(file.subarray(0, H + 2 * FRAME), TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
    expect(await outcomes(file.subarray(0, H), TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
    expect(await outcomes(file.subarray(0, H + 2 * FRAME + 30), TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
    expect(await outcomes(file.subarray(0, H - 1), TEST_KEY)).toEqual(all("SEAL_FORMAT_INVALID"));
  });

  it("error: a truncated file refuses to open for random access even for a range before the cut", async () => {
    const cut = file.subarray(0, H + 4 * FRAME);
    await expect(openSealedFile(bufferReader(cut), TEST_KEY)).rejects.toMatchObject({
      code: "SEAL_INTEGRITY",
      message: expect.stringMatching(/truncated or extended/),
    });
  });

  it("error: bytes appended after the last chunk", async () => {
    expect(await outcomes(cat(file, Uint8Array.of(1, 2, 3)), TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
  });

  it("error: a chunk moved in from another file of the same dataset at the same position", async () => {
    const other = seal();
    const mixed = cat(
      header(file),
      chunk(file, 0),
      chunk(other, 1),
      chunk(file, 2),
      chunk(file, 3),
      chunk(file, 4),
    );
    expect(await outcomes(mixed, TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
  });

  it("error: a chunk from another dataset (same key, same dataset id length, same position)", async () => {
    const other = seal("ds-other1");
    expect(parseHeader(other).bytes.length).toBe(H);
    const mixed = cat(
      header(file),
      chunk(file, 0),
      chunk(other, 1),
      chunk(file, 2),
      chunk(file, 3),
      chunk(file, 4),
    );
    expect(await outcomes(mixed, TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
  });

  it("error: a header from another file of the same dataset and length over these chunks", async () => {
    const other = seal();
    const spliced = cat(header(other), file.subarray(H));
    expect(await outcomes(spliced, TEST_KEY)).toEqual(all("SEAL_INTEGRITY"));
  });

  it("error: a header edited to claim another dataset is a key mismatch, not a silent success", async () => {
    const copy = file.slice();
    copy[10] = "x".charCodeAt(0);
    expect(await outcomes(copy, TEST_KEY)).toEqual(all("SEAL_KEY_INVALID"));
  });

  it("error: wrong key, and a key of the wrong length", async () => {
    const wrong = Uint8Array.from(TEST_KEY, (b) => b ^ 0xff);
    expect(await outcomes(file, wrong)).toEqual(all("SEAL_KEY_INVALID"));
    expect(await outcomes(file, TEST_KEY.subarray(0, 31))).toEqual(all("SEAL_KEY_INVALID"));
    expect(() => decryptBuffer(file, new Uint8Array(33))).toThrow("dataset key must be 32 bytes, got 33");
  });

  it("error: unsupported version", async () => {
    for (const version of [0, 2, 255]) {
      const copy = file.slice();
      copy[8] = version;
      expect(await outcomes(copy, TEST_KEY)).toEqual(all("SEAL_VERSION_UNSUPPORTED"));
    }
  });

  it("error: garbage input of many sizes is a format error, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), async (garbage) => {
        fc.pre(garbage[0] !== 0x89);
        expect(await outcomes(garbage, TEST_KEY, 7)).toEqual(all("SEAL_FORMAT_INVALID"));
      }),
      { numRuns: 100 },
    );
  });

  it("error: a random-access read of a tampered chunk fails while other chunks still read", async () => {
    const copy = file.slice();
    copy[H + 2 * FRAME + 5] = copy[H + 2 * FRAME + 5]! ^ 1;
    const opened = await openSealedFile(bufferReader(copy), TEST_KEY);
    const plaintext = patternBytes(4 * CHUNK + 10);
    expect(Buffer.from(await opened.read(0, CHUNK)).equals(plaintext.subarray(0, CHUNK))).toBe(true);
    await expect(opened.read(CHUNK, 3 * CHUNK)).rejects.toMatchObject({
      code: "SEAL_INTEGRITY",
      message: expect.stringContaining("chunk 2 failed authentication"),
    });
    opened.close();
  });
});
