/**
 * The object writer (runs in Node under vitest, in-memory store): the object and its SHA-256 are right
 * for single-PUT and multipart objects whatever the source's chunking (the multipart hash is computed
 * on the hash thread, the small one on the caller's), and a failed part aborts the multipart upload.
 * The hash thread itself: plain SHA-256 of transferred parts, and the segmented SHA-256 of fed pieces
 * equal to the protocol's own (WebCrypto) implementation.
 */
import { createHash, randomBytes } from "node:crypto";
import { segmentedSha256 } from "@cce4long/protocol";
import { describe, expect, it } from "vitest";
import { HashThread } from "./hash-thread";
import { MemoryObjectStore } from "./memory-object-store";
import { writeObjectStream } from "./object-writer";

const PART = 64 * 1024;

async function* pieces(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

describe("writeObjectStream", () => {
  it("stores the bytes and their SHA-256, in one PUT or in parts, whatever the chunking", async () => {
    for (const length of [0, 1, PART - 1, PART, PART + 1, 5 * PART + 123]) {
      const bytes = randomBytes(length);
      for (const sizes of [[1000], [PART], [3 * PART + 7], [17, 70_001]]) {
        const store = new MemoryObjectStore();
        const written = await writeObjectStream(store, "b", "k", pieces(bytes, sizes), {
          partSize: PART,
          maxInFlight: 2,
        });
        expect(written).toEqual({ bytes: length, sha256: createHash("sha256").update(bytes).digest("hex") });
        expect(Buffer.from(store.objects.get("b/k")!).equals(bytes)).toBe(true);
        const multipart = store.operations.some((op) => op.startsWith("uploadPart"));
        expect(multipart).toBe(length >= PART); // a full first part starts a multipart upload
        expect(store.openMultipartUploads).toBe(0);
      }
    }
  });

  it("aborts the multipart upload when a part fails, and reports the failure", async () => {
    const store = new MemoryObjectStore();
    let parts = 0;
    store.failOn = (operation) => operation === "uploadPart" && ++parts === 3;
    await expect(
      writeObjectStream(store, "b", "k", pieces(randomBytes(10 * PART), [5000]), {
        partSize: PART,
        maxInFlight: 2,
      }),
    ).rejects.toMatchObject({ code: "OBJECT_STORE_FAILED" });
    expect(store.openMultipartUploads).toBe(0);
    expect(store.objects.has("b/k")).toBe(false);
  });
});

describe("HashThread", () => {
  it("hashes transferred parts in order and gives each buffer back intact", async () => {
    const thread = new HashThread();
    try {
      const a = randomBytes(100_000);
      const b = randomBytes(5);
      const partA = Buffer.allocUnsafe(a.length);
      a.copy(partA);
      const back = await thread.update(partA);
      expect(partA.length).toBe(0); // transferred away while it was hashed
      expect(back.equals(a)).toBe(true);
      const partB = Buffer.allocUnsafe(8192);
      b.copy(partB);
      expect((await thread.update(partB.subarray(0, 5))).equals(b)).toBe(true);
      expect(await thread.digest()).toBe(createHash("sha256").update(a).update(b).digest("hex"));
    } finally {
      await thread.close();
    }
    await expect(thread.digest()).rejects.toThrow(/or close/);
  });
});

describe("HashThread, shared", () => {
  it("keeps concurrent streams apart on the one thread, and starts a new thread after the last closed", async () => {
    const a = randomBytes(300_000);
    const b = randomBytes(200_000);
    for (let round = 0; round < 2; round++) {
      const plain = new HashThread();
      const segmented = new HashThread({ segmentBytes: 65_536 });
      try {
        for (let at = 0; at < a.length; at += 50_000) {
          await segmented.feed(b.subarray(at, at + 50_000));
          const part = Buffer.allocUnsafe(50_000);
          Buffer.from(a.subarray(at, at + 50_000)).copy(part);
          await plain.update(part);
        }
        expect(await plain.digest()).toBe(createHash("sha256").update(a).digest("hex"));
        expect(await segmented.digest()).toBe(await segmentedSha256(b, 65_536));
      } finally {
        await plain.close();
        await segmented.close();
      }
    }
  });
});

describe("HashThread, segmented", () => {
  it("computes the protocol's segmented SHA-256 whatever the pieces, and leaves the caller's bytes", async () => {
    for (const [length, segment] of [
      [0, 1000],
      [999, 1000],
      [1000, 1000],
      [4321, 1000],
      [6 * 1024 * 1024 + 3, 1024 * 1024], // past the bytes fed before feed() waits
    ] as const) {
      const bytes = randomBytes(length);
      const thread = new HashThread({ segmentBytes: segment });
      try {
        for await (const piece of pieces(bytes, [333, 70_001, 1])) {
          const before = Buffer.from(piece);
          await thread.feed(piece);
          expect(Buffer.from(piece).equals(before)).toBe(true);
        }
        expect(thread.bytes).toBe(length);
        expect(await thread.digest(), `${length}/${segment}`).toBe(await segmentedSha256(bytes, segment));
      } finally {
        await thread.close();
      }
    }
  });
});

describe("error: HashThread misuse and failures stay with their stream", () => {
  it("a second digest of one stream is refused there, and a concurrent stream goes on", async () => {
    const misused = new HashThread();
    const other = new HashThread({ segmentBytes: 1000 });
    try {
      await misused.digest();
      await expect(misused.digest()).rejects.toThrow(/after its digest/);
      await expect(misused.feed(new Uint8Array(10))).rejects.toThrow(/after its digest/);
      const bytes = randomBytes(5000);
      await other.feed(bytes);
      expect(await other.digest()).toBe(await segmentedSha256(bytes, 1000));
    } finally {
      await misused.close();
      await other.close();
    }
  });
});
