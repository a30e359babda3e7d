/**
 * Tests of the scan's shared-memory output copy (runs in Node under vitest): the copy holds the
 * output's bytes and nothing else, is wiped when released, its buffer is reused without leftovers,
 * two scans at once never share one, and a buffer over the cap is not kept.
 */
import { describe, expect, it } from "vitest";
import { MAX_SPARE_BYTES, releaseSharedCopy, sharedCopy } from "./shared-copy";

const filled = (length: number, value: number) => new Uint8Array(length).fill(value);

describe("sharedCopy", () => {
  it("copies into shared memory, wipes on release, and reuses the buffer with nothing left over", () => {
    const first = sharedCopy(filled(1000, 7));
    expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(first.length).toBe(1000);
    expect(first.every((b) => b === 7)).toBe(true);
    releaseSharedCopy(first);
    expect(first.every((b) => b === 0)).toBe(true);
    const second = sharedCopy(filled(300, 9));
    expect(second.buffer).toBe(first.buffer);
    expect(second.length).toBe(300);
    expect(new Uint8Array(second.buffer).subarray(300).every((b) => b === 0)).toBe(true);
    releaseSharedCopy(second);
    expect(new Uint8Array(second.buffer).every((b) => b === 0)).toBe(true);
  });

  it("gives a scan that runs while another holds the buffer its own", () => {
    const a = sharedCopy(filled(100, 1));
    const b = sharedCopy(filled(100, 2));
    expect(b.buffer).not.toBe(a.buffer);
    expect(a.every((x) => x === 1)).toBe(true);
    releaseSharedCopy(a);
    releaseSharedCopy(b);
  });

  it("does not keep a buffer over the cap (it is wiped all the same)", () => {
    const small = sharedCopy(filled(10, 1));
    releaseSharedCopy(small);
    const big = sharedCopy(filled(MAX_SPARE_BYTES + 1, 3));
    releaseSharedCopy(big);
    expect(big.every((x) => x === 0)).toBe(true);
    expect(sharedCopy(filled(10, 4)).buffer).toBe(small.buffer);
  });
});
