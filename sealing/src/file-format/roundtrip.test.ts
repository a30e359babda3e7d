/**
 * Property tests: for random sizes around chunk boundaries and random chunk sizes, every writer's output
 * decrypts to the input through every reader, and any range [a, b) decrypts to the same slice.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decryptBuffer, encryptBuffer } from "./buffer";
import { MIN_CHUNK_SIZE } from "./constants";
import { parseHeader } from "./header";
import { decryptRange, openSealedFile } from "./random-access";
import { bufferReader } from "./reader";
import { decryptStream, encryptStream } from "./stream";
import { collect, patternBytes, piecesOf, TEST_KEY } from "./testing";

const chunkSizes = fc.constantFrom(MIN_CHUNK_SIZE, 65, 100, 256, 1000);
/** Sizes that stress the edges: 0, 1, one chunk, chunk +/- 1, many chunks, and anything in between. */
const sizeFor = (chunk: number) =>
  fc.oneof(
    fc.constantFrom(0, 1, chunk - 1, chunk, chunk + 1, 2 * chunk, 2 * chunk + 1),
    fc.integer({ min: 0, max: 40 * chunk }),
  );
const caseArb = chunkSizes.chain((chunk) =>
  fc.record({ chunk: fc.constant(chunk), size: sizeFor(chunk), seed: fc.integer({ min: 1, max: 1 << 30 }) }),
);

describe("file format round trips", () => {
  it("whole-buffer encrypt then decrypt returns the plaintext and the header's fields", () => {
    fc.assert(
      fc.property(caseArb, ({ chunk, size, seed }) => {
        const plaintext = patternBytes(size, seed);
        const file = encryptBuffer(plaintext, {
          key: TEST_KEY,
          datasetId: "ds-prop",
          keyVersion: 3,
          chunkSize: chunk,
        });
        const { header, plaintext: back } = decryptBuffer(file, TEST_KEY);
        expect(Buffer.from(back).equals(plaintext)).toBe(true);
        expect(header).toMatchObject({
          datasetId: "ds-prop",
          keyVersion: 3,
          chunkSize: chunk,
          plaintextLength: size,
        });
        const chunks = size === 0 ? 1 : Math.ceil(size / chunk);
        expect(file.length).toBe(parseHeader(file).bytes.length + size + 16 * chunks);
      }),
      { numRuns: 150 },
    );
  });

  it("streaming encrypt and decrypt with arbitrary piece sizes agree with the whole-buffer path", async () => {
    await fc.assert(
      fc.asyncProperty(
        caseArb,
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 3000 }),
        async (c, inPiece, outPiece) => {
          const plaintext = patternBytes(c.size, c.seed);
          const options = {
            key: TEST_KEY,
            datasetId: "ds-prop",
            chunkSize: c.chunk,
            plaintextLength: c.size,
          };
          const file = await collect(encryptStream(piecesOf(plaintext, inPiece), options));
          expect(Buffer.from(decryptBuffer(file, TEST_KEY).plaintext).equals(plaintext)).toBe(true);
          const back = await collect(decryptStream(piecesOf(file, outPiece), TEST_KEY));
          expect(Buffer.from(back).equals(plaintext)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("decryptRange(a, b) equals the plaintext slice for random ranges", async () => {
    const rangeCase = caseArb.chain((c) =>
      fc
        .tuple(fc.integer({ min: 0, max: c.size }), fc.integer({ min: 0, max: c.size }))
        .map(([x, y]) => ({ ...c, a: Math.min(x, y), b: Math.max(x, y) })),
    );
    await fc.assert(
      fc.asyncProperty(rangeCase, async ({ chunk, size, seed, a, b }) => {
        const plaintext = patternBytes(size, seed);
        const file = encryptBuffer(plaintext, { key: TEST_KEY, datasetId: "ds-range", chunkSize: chunk });
        const range = await decryptRange(bufferReader(file), TEST_KEY, a, b);
        expect(Buffer.from(range).equals(plaintext.subarray(a, b))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("a random-access read touches only the header and the chunks covering the range", async () => {
    const chunk = 64;
    const plaintext = patternBytes(100 * chunk + 5);
    const file = encryptBuffer(plaintext, { key: TEST_KEY, datasetId: "ds-range", chunkSize: chunk });
    const reads: [number, number][] = [];
    const inner = bufferReader(file);
    const opened = await openSealedFile(
      {
        size: inner.size,
        read: (offset, length) => {
          reads.push([offset, length]);
          return inner.read(offset, length);
        },
      },
      TEST_KEY,
    );
    reads.length = 0;
    const out = await opened.read(10 * chunk + 3, 12 * chunk + 1); // chunks 10, 11, 12
    opened.close();
    expect(Buffer.from(out).equals(plaintext.subarray(10 * chunk + 3, 12 * chunk + 1))).toBe(true);
    const headerLength = parseHeader(file).bytes.length;
    expect(reads).toEqual([[headerLength + 10 * (chunk + 16), 3 * (chunk + 16)]]);
  });

  it("each encryption picks a fresh file id, so equal inputs give unrelated ciphertexts", () => {
    const plaintext = patternBytes(500);
    const options = { key: TEST_KEY, datasetId: "ds-fresh", chunkSize: 64 };
    const one = encryptBuffer(plaintext, options);
    const two = encryptBuffer(plaintext, options);
    expect(Buffer.from(parseHeader(one).header.fileId).equals(parseHeader(two).header.fileId)).toBe(false);
    const h = parseHeader(one).bytes.length;
    expect(Buffer.from(one.subarray(h)).equals(two.subarray(h))).toBe(false);
  });

  it("error: a range outside the plaintext or reversed is refused and reads after close fail", async () => {
    const file = encryptBuffer(patternBytes(100), { key: TEST_KEY, datasetId: "ds-range", chunkSize: 64 });
    const opened = await openSealedFile(bufferReader(file), TEST_KEY);
    await expect(opened.read(0, 101)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(opened.read(5, 4)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(opened.read(-1, 4)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect((await opened.read(7, 7)).length).toBe(0);
    opened.close();
    await expect(opened.read(0, 1)).rejects.toThrow(/after close/);
  });
});
