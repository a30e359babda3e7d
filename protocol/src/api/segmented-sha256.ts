/**
 * The segmented SHA-256 of a staged upload envelope (runs anywhere WebCrypto does: the provider's CLI,
 * the Privacy Plane, workerd, browsers): SHA-256 over fixed 8 MiB segments, then SHA-256 of the segment
 * digests in order (docs/upload-envelope.md section 5.1). Each segment goes through
 * crypto.subtle.digest, which in Node runs on libuv's thread pool, so the provider's client encrypts
 * while it hashes. What the provider signs; the Privacy Plane computes the same digest on its hash
 * thread (enclave-runtime/src/ingest/hash-thread.ts) and compares it with the bytes it reads.
 */
import { bytesToHex } from "@noble/hashes/utils";

/** Bytes per segment: fixed by the format (a different size gives a different digest). */
export const UPLOAD_HASH_SEGMENT_BYTES = 8 * 1024 * 1024;
/** Segment digests running at once: bounds the copies WebCrypto holds (2 x 8 MiB) while keeping up. */
const SEGMENTS_IN_FLIGHT = 2;

/**
 * Streaming form: feed the bytes in any pieces, in order, awaiting each update (it waits only when
 * SEGMENTS_IN_FLIGHT digests are still running), then await digest() once.
 */
export class SegmentedSha256 {
  readonly #segmentBytes: number;
  #segment: Uint8Array | undefined;
  #filled = 0;
  #segments = 0;
  #bytes = 0;
  readonly #digests: Promise<ArrayBuffer>[] = [];
  /** Index of the first digest not yet awaited (the in-flight window is #digests[#settled..]). */
  #settled = 0;
  #finished = false;

  /** `segmentBytes` other than UPLOAD_HASH_SEGMENT_BYTES only in tests (to exercise many segments). */
  constructor(segmentBytes: number = UPLOAD_HASH_SEGMENT_BYTES) {
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1) throw new RangeError("bad segment size");
    this.#segmentBytes = segmentBytes;
  }

  /** Bytes fed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  async update(piece: Uint8Array): Promise<void> {
    if (this.#finished) throw new Error("SegmentedSha256 updated after digest()");
    this.#bytes += piece.length;
    const size = this.#segmentBytes;
    let at = 0;
    while (at < piece.length) {
      if (this.#filled === 0 && piece.length - at >= size) {
        // A whole segment inside one piece: WebCrypto copies it, so no copy of ours.
        await this.#digestSegment(piece.subarray(at, at + size));
        at += size;
        continue;
      }
      this.#segment ??= new Uint8Array(size);
      const count = Math.min(size - this.#filled, piece.length - at);
      this.#segment.set(piece.subarray(at, at + count), this.#filled);
      this.#filled += count;
      at += count;
      if (this.#filled === size) {
        this.#filled = 0;
        await this.#digestSegment(this.#segment);
      }
    }
  }

  /** The digest as 64 lowercase hex characters. An empty input is one empty segment. */
  async digest(): Promise<string> {
    if (this.#finished) throw new Error("SegmentedSha256.digest() called twice");
    this.#finished = true;
    if (this.#filled > 0 || this.#segments === 0) {
      await this.#digestSegment(this.#segment?.subarray(0, this.#filled) ?? new Uint8Array(0));
    }
    this.#segment?.fill(0);
    const digests = await Promise.all(this.#digests);
    const joined = new Uint8Array(digests.length * 32);
    for (const [index, digest] of digests.entries()) joined.set(new Uint8Array(digest), index * 32);
    return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", joined)));
  }

  async #digestSegment(bytes: Uint8Array): Promise<void> {
    // digest() copies its input before returning, so the caller's buffer is free again at once.
    const pending = crypto.subtle.digest("SHA-256", bytes);
    pending.catch(() => {}); // awaited below or in digest(); never an unhandled rejection meanwhile
    this.#digests.push(pending);
    this.#segments++;
    while (this.#digests.length - this.#settled > SEGMENTS_IN_FLIGHT) {
      await this.#digests[this.#settled++];
    }
  }
}

/** One-shot form over bytes already in memory. */
export async function segmentedSha256(
  bytes: Uint8Array,
  segmentBytes: number = UPLOAD_HASH_SEGMENT_BYTES,
): Promise<string> {
  const hash = new SegmentedSha256(segmentBytes);
  await hash.update(bytes);
  return hash.digest();
}
