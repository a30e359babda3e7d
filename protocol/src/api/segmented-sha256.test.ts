/**
 * The segmented SHA-256 of upload envelopes (runs in Node under vitest): equal to its definition
 * computed independently with @noble/hashes (SHA-256 of the concatenated per-segment SHA-256s) for empty,
 * short, exact-multiple and ragged inputs, whatever the piece boundaries; sensitive to one flipped byte
 * and to where the segments fall; and not the plain SHA-256 of the bytes.
 */
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, concatBytes } from "@noble/hashes/utils";
import { describe, expect, it } from "vitest";
import { SegmentedSha256, segmentedSha256, UPLOAD_HASH_SEGMENT_BYTES } from "./segmented-sha256";

/** The definition, written out with @noble/hashes (docs/upload-envelope.md section 5.1). */
function reference(bytes: Uint8Array, segment: number): string {
  const count = Math.max(1, Math.ceil(bytes.length / segment));
  const digests = Array.from({ length: count }, (_, i) =>
    sha256(bytes.subarray(i * segment, (i + 1) * segment)),
  );
  return bytesToHex(sha256(concatBytes(...digests)));
}

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65_536) crypto.getRandomValues(out.subarray(at, at + 65_536));
  return out;
}

async function inPieces(bytes: Uint8Array, segment: number, pieceSizes: number[]): Promise<string> {
  const hash = new SegmentedSha256(segment);
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = pieceSizes[i % pieceSizes.length]!;
    await hash.update(bytes.subarray(at, at + size));
    at += size;
  }
  expect(hash.bytes).toBe(bytes.length);
  return hash.digest();
}

describe("segmented SHA-256", () => {
  it("matches its definition for any length and any piece boundaries", async () => {
    const segment = 1000;
    for (const length of [0, 1, 999, 1000, 1001, 5000, 7777]) {
      const bytes = randomBytes(length);
      const expected = reference(bytes, segment);
      expect(await segmentedSha256(bytes, segment)).toBe(expected);
      for (const pieces of [[1], [7, 993], [1000], [2500], [333, 1, 4096]]) {
        expect(await inPieces(bytes, segment, pieces)).toBe(expected);
      }
    }
  });

  it("uses 8 MiB segments by default and differs from the plain SHA-256", async () => {
    const bytes = randomBytes(UPLOAD_HASH_SEGMENT_BYTES * 2 + 12_345);
    const digest = await inPieces(bytes, UPLOAD_HASH_SEGMENT_BYTES, [1024 * 1024, 333_333]);
    expect(digest).toBe(reference(bytes, UPLOAD_HASH_SEGMENT_BYTES));
    expect(digest).not.toBe(bytesToHex(sha256(bytes)));
    expect(await segmentedSha256(bytes)).toBe(digest);
  });

  it("changes with one flipped byte in any segment and with the segment size", async () => {
    const bytes = randomBytes(4500);
    const digest = await segmentedSha256(bytes, 1000);
    for (const at of [0, 999, 1000, 4499]) {
      const flipped = Uint8Array.from(bytes);
      flipped[at]! ^= 1;
      expect(await segmentedSha256(flipped, 1000)).not.toBe(digest);
    }
    expect(await segmentedSha256(bytes, 1500)).not.toBe(digest);
  });

  it("does not reuse the caller's buffer after update returns, and refuses use after digest", async () => {
    const bytes = randomBytes(3000);
    const expected = reference(bytes, 1000);
    const buffer = Uint8Array.from(bytes);
    const hash = new SegmentedSha256(1000);
    await hash.update(buffer);
    buffer.fill(0); // the caller recycles its buffer
    expect(await hash.digest()).toBe(expected);
    await expect(hash.update(bytes)).rejects.toThrow(/after digest/);
  });
});
