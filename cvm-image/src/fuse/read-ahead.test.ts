/**
 * The decrypting FUSE's read-ahead (runs in Node, no mount needed): exact bytes for any pattern of
 * reads, EIO (the chunk's error) for a read touching a chunk that did not verify even when that chunk
 * was read ahead, a bounded number of chunks held, and every plaintext wiped and freed when it leaves.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { encryptBuffer } from "@cce4long/sealing";
import { afterAll, describe, expect, it } from "vitest";
import { PlaintextBudget, ReadAheadCache } from "./read-ahead";
import { openSealedLowerFile, type SealedLowerFile } from "./sealed-lower-file";

const key = randomBytes(32);
const datasetId = "ds-read-ahead";
const CHUNK = 1024;
const plain = randomBytes(40 * CHUNK + 321);
const root = mkdtempSync(join(tmpdir(), "cce4long-read-ahead-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function sealTo(name: string, tamperChunk?: number): string {
  const sealed = encryptBuffer(plain, { key, datasetId, chunkSize: CHUNK });
  if (tamperChunk !== undefined) {
    const headerLength = sealed.length - plain.length - 16 * Math.ceil(plain.length / CHUNK);
    sealed[headerLength + tamperChunk * (CHUNK + 16) + 10]! ^= 0x01;
  }
  const path = join(root, name);
  writeFileSync(path, sealed);
  return path;
}

const roomy = () => new PlaintextBudget(1 << 30);
const open = (lowerPath: string) => openSealedLowerFile({ path: "f", lowerPath }, () => key);

async function readAll(cache: ReadAheadCache, size: number, from = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = from; at < plain.length; at += size) {
    const end = Math.min(plain.length, at + size);
    const target = Buffer.alloc(end - at);
    expect(await cache.readInto(at, end, target)).toBe(end - at);
    parts.push(target);
  }
  return Buffer.concat(parts);
}

/** Wraps a file to record every plaintext buffer it hands out and the most chunks in flight or held. */
function recording(file: SealedLowerFile) {
  const handedOut: Buffer[] = [];
  const requested = { chunks: 0 };
  const wrapped: SealedLowerFile = {
    ...file,
    plaintextLength: file.plaintextLength,
    chunkSize: file.chunkSize,
    chunkCount: file.chunkCount,
    fileId: file.fileId,
    async readChunks(first, last) {
      requested.chunks += last - first + 1;
      const outcomes = await file.readChunks(first, last);
      for (const outcome of outcomes) if (Buffer.isBuffer(outcome)) handedOut.push(outcome);
      return outcomes;
    },
    close: () => file.close(),
  };
  return { wrapped, handedOut, requested };
}

describe("decrypting FUSE read-ahead", () => {
  it("gives the exact plaintext for sequential reads of any size, and for random reads", async () => {
    const path = sealTo("plain.c4le");
    for (const size of [100, CHUNK, 3 * CHUNK + 7, 128 * 1024]) {
      const file = await open(path);
      const cache = new ReadAheadCache(file, roomy(), { aheadBytes: 8 * CHUNK, fileBytes: 12 * CHUNK });
      expect(Buffer.compare(await readAll(cache, size), plain)).toBe(0);
      cache.close();
      await file.close();
    }
    const file = await open(path);
    const cache = new ReadAheadCache(file, roomy(), { aheadBytes: 8 * CHUNK, fileBytes: 12 * CHUNK });
    for (const [start, end] of [
      [39 * CHUNK, plain.length],
      [5, 2 * CHUNK + 5],
      [20 * CHUNK - 1, 20 * CHUNK + 1],
      [0, 1],
    ] as const) {
      const target = Buffer.alloc(end - start);
      await cache.readInto(start, end, target);
      expect(Buffer.compare(target, plain.subarray(start, end))).toBe(0);
    }
    cache.close();
    await file.close();
  });

  it("answers a read touching a tampered chunk with its error, even after reading it ahead", async () => {
    const file = await open(sealTo("tampered.c4le", 6));
    const cache = new ReadAheadCache(file, roomy(), { aheadBytes: 8 * CHUNK, fileBytes: 12 * CHUNK });
    // Chunks 0..3 read; 4..11 (with the tampered 6) are read ahead meanwhile.
    const first = Buffer.alloc(4 * CHUNK);
    await cache.readInto(0, 4 * CHUNK, first);
    expect(Buffer.compare(first, plain.subarray(0, 4 * CHUNK))).toBe(0);
    const next = Buffer.alloc(4 * CHUNK).fill(0xee);
    const error = await cache.readInto(4 * CHUNK, 8 * CHUNK, next).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cce4longError);
    expect(error).toMatchObject({ code: "SEAL_INTEGRITY" });
    // Nothing of the refused range is left in the target, not even its verified chunks 4 and 5.
    expect(next.every((byte) => byte === 0)).toBe(true);
    // Asked again, the chunk is checked again (and refused again); its neighbours still read.
    await expect(cache.readInto(6 * CHUNK, 6 * CHUNK + 1, Buffer.alloc(1))).rejects.toMatchObject({
      code: "SEAL_INTEGRITY",
    });
    const after = Buffer.alloc(CHUNK);
    await cache.readInto(7 * CHUNK, 8 * CHUNK, after);
    expect(Buffer.compare(after, plain.subarray(7 * CHUNK, 8 * CHUNK))).toBe(0);
    cache.close();
    await file.close();
  });

  it("holds a bounded number of chunks and wipes and frees each one it lets go, and all at close", async () => {
    const file = await open(sealTo("bounded.c4le"));
    const { wrapped, handedOut, requested } = recording(file);
    const budget = roomy();
    const cache = new ReadAheadCache(wrapped, budget, { aheadBytes: 8 * CHUNK, fileBytes: 10 * CHUNK });
    const target = Buffer.alloc(2 * CHUNK);
    let maxHeld = 0;
    for (let at = 0; at + 2 * CHUNK <= 30 * CHUNK; at += 2 * CHUNK) {
      await cache.readInto(at, at + 2 * CHUNK, target);
      expect(Buffer.compare(target, plain.subarray(at, at + 2 * CHUNK))).toBe(0);
      const held = handedOut.filter((buffer) => buffer.byteLength > 0).length;
      maxHeld = Math.max(maxHeld, held);
    }
    // Read ahead happened (chunks beyond the 30 read were asked for, each once) within the bound.
    expect(requested.chunks).toBe(30 + 8);
    expect(maxHeld).toBeLessThanOrEqual(10);
    // Chunks behind the reader are gone: detached (freed) after being zeroed.
    expect(handedOut[0]!.byteLength).toBe(0);
    cache.close();
    // Let chunks still in flight land: they are wiped on arrival.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(handedOut.every((buffer) => buffer.byteLength === 0)).toBe(true);
    expect(budget.used).toBe(0);
    await file.close();
  });

  it("reads nothing ahead, and keeps nothing, once the mount's plaintext budget is spent", async () => {
    const path = sealTo("budget.c4le");
    const budget = new PlaintextBudget(10 * CHUNK);
    const options = { aheadBytes: 8 * CHUNK, fileBytes: 10 * CHUNK };
    const firstFile = await open(path);
    const first = new ReadAheadCache(firstFile, budget, options);
    await first.readInto(0, 2 * CHUNK, Buffer.alloc(2 * CHUNK));
    expect(budget.used).toBe(8 * CHUNK); // the 8 chunks ahead; the 2 read are behind the reader
    const secondFile = await open(path);
    const second = recording(secondFile);
    const cache = new ReadAheadCache(second.wrapped, budget, options);
    const parts: Buffer[] = [];
    for (let at = 0; at < 6 * CHUNK; at += 2 * CHUNK) {
      const target = Buffer.alloc(2 * CHUNK);
      await cache.readInto(at, at + 2 * CHUNK, target);
      parts.push(target);
    }
    expect(Buffer.compare(Buffer.concat(parts), plain.subarray(0, 6 * CHUNK))).toBe(0);
    // Only what was read was decrypted, and none of it stayed.
    expect(second.requested.chunks).toBe(6);
    expect(second.handedOut.every((buffer) => buffer.byteLength === 0)).toBe(true);
    first.close();
    cache.close();
    expect(budget.used).toBe(0);
    await firstFile.close();
    await secondFile.close();
  });

  it("refuses a lower file whose file id is not the one the manifest expects", async () => {
    await expect(
      openSealedLowerFile(
        { path: "f", lowerPath: sealTo("swapped.c4le"), expectedFileId: "00".repeat(16) },
        () => key,
      ),
    ).rejects.toMatchObject({ code: "SEAL_INTEGRITY" });
  });
});
