/**
 * Streaming encrypt/decrypt: works inside stream.pipeline with real files, enforces the declared length,
 * and moves 256 MiB through encrypt and decrypt while memory stays bounded (nothing holds the whole file).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptBuffer } from "./buffer";
import { DEFAULT_CHUNK_SIZE } from "./constants";
import { decryptStream, encryptStream } from "./stream";
import { collect, patternBytes, piecesOf, TEST_KEY } from "./testing";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cce4long-stream-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file format streaming", () => {
  it("encrypts and decrypts files through stream.pipeline", async () => {
    const plaintext = patternBytes(3 * DEFAULT_CHUNK_SIZE + 12345);
    const [plainPath, sealedPath, outPath] = ["p", "s", "o"].map((n) => join(dir, n)) as [
      string,
      string,
      string,
    ];
    await writeFile(plainPath, plaintext);
    const options = { key: TEST_KEY, datasetId: "ds-stream", plaintextLength: plaintext.length };
    await pipeline(
      createReadStream(plainPath),
      (s) => encryptStream(s, options),
      createWriteStream(sealedPath),
    );
    expect(Buffer.from(decryptBuffer(await readFile(sealedPath), TEST_KEY).plaintext).equals(plaintext)).toBe(
      true,
    );
    let seenHeader = "";
    await pipeline(
      createReadStream(sealedPath, { highWaterMark: 10_000 }),
      (s) => decryptStream(s, TEST_KEY, { onHeader: (h) => (seenHeader = h.datasetId) }),
      createWriteStream(outPath),
    );
    expect(seenHeader).toBe("ds-stream");
    expect((await readFile(outPath)).equals(plaintext)).toBe(true);
  });

  it("error: a plaintext stream longer or shorter than declared", async () => {
    const plaintext = patternBytes(1000);
    const run = (declared: number) =>
      collect(
        encryptStream(piecesOf(plaintext, 100), {
          key: TEST_KEY,
          datasetId: "ds",
          chunkSize: 64,
          plaintextLength: declared,
        }),
      );
    await expect(run(999)).rejects.toMatchObject({
      code: "SEAL_FORMAT_INVALID",
      message: "encrypted file: plaintext stream is longer than the declared 999 bytes",
    });
    await expect(run(1001)).rejects.toMatchObject({
      message: "encrypted file: plaintext stream ended after 1000 bytes; 1001 were declared",
    });
  });

  it("streams 256 MiB through encrypt and decrypt in bounded memory", { timeout: 120_000 }, async () => {
    const total = 256 * 1024 * 1024;
    const piece = patternBytes(1024 * 1024, 7);
    const expected = createHash("sha256");
    async function* plaintext() {
      for (let sent = 0; sent < total; sent += piece.length) {
        expected.update(piece);
        yield piece;
      }
    }
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let sealedBytes = 0;
    async function* countSealed(source: AsyncIterable<Uint8Array>) {
      for await (const part of source) {
        sealedBytes += part.length;
        yield part;
      }
    }
    const actual = createHash("sha256");
    let n = 0;
    const sealed = countSealed(
      encryptStream(plaintext(), { key: TEST_KEY, datasetId: "ds-big", plaintextLength: total }),
    );
    for await (const part of decryptStream(sealed, TEST_KEY)) {
      actual.update(part);
      if (++n % 256 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(actual.digest("hex")).toBe(expected.digest("hex"));
    expect(sealedBytes).toBe(total + 16 * (total / DEFAULT_CHUNK_SIZE) + 106 + "ds-big".length);
    // Holding either side would cost >= 256 MiB; allow GC slack well below that.
    expect(peak - before).toBeLessThan(96 * 1024 * 1024);
    console.info(`streamed 256 MiB, peak RSS growth ${((peak - before) / 2 ** 20).toFixed(1)} MiB`);
  });
});
