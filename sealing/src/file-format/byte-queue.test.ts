/** ByteQueue: frames come out exactly as pushed, whether they sit in one piece or span several. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteQueue } from "./byte-queue";

describe("ByteQueue", () => {
  it("returns the pushed bytes in order for any split into pieces and frames", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 30 }),
        (pieces, frames) => {
          const all = Buffer.concat(pieces);
          const queue = new ByteQueue();
          for (const piece of pieces) queue.push(piece);
          let at = 0;
          for (const frame of frames) {
            if (frame > queue.length) break;
            expect(Buffer.from(queue.peek(frame)).equals(all.subarray(at, at + frame))).toBe(true);
            expect(Buffer.from(queue.take(frame)).equals(all.subarray(at, at + frame))).toBe(true);
            at += frame;
            expect(queue.length).toBe(all.length - at);
          }
        },
      ),
    );
  });

  it("error: taking more than it holds", () => {
    const queue = new ByteQueue();
    queue.push(new Uint8Array(3));
    expect(() => queue.take(4)).toThrow("ByteQueue: asked for 4 bytes, holds 3");
  });
});
