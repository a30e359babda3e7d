/**
 * The object writer (runs in Node under vitest, in-memory store): the object and its SHA-256 are right
 * for single-PUT and multipart objects whatever the source's chunking (the multipart hash is computed
 * on the SHA-256 thread, the small one on the caller's), part buffers are reused, and a failed part
 * aborts the multipart upload without leaving a thread behind.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MemoryObjectStore } from "./memory-object-store";
import { writeObjectStream } from "./object-writer";
import { Sha256Thread } from "./sha256-thread";

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

describe("Sha256Thread", () => {
  it("hashes transferred parts in order and gives each buffer back intact", async () => {
    const thread = new Sha256Thread();
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
    await expect(thread.digest()).rejects.toThrow(/closed/);
  });
});
