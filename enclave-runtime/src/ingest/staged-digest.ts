/**
 * The size and segmented SHA-256 of a staged upload envelope, taken while ingest reads it (runs inside
 * the TEE): the single pass that decrypts the envelope also proves it is the object the provider signed
 * (docs/upload-envelope.md section 5), so a 10 GiB file is never read twice. The hashing runs on a
 * thread of its own (HashThread), not on the thread that decrypts and re-encrypts; it computes the same
 * digest as SegmentedSha256 in @cce4long/protocol, which the provider's client signs.
 */
import { timingSafeEqual } from "node:crypto";
import { Cce4longError, UPLOAD_HASH_SEGMENT_BYTES } from "@cce4long/protocol";
import { HashThread } from "./hash-thread";

export class StagedDigest {
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #hash: HashThread;
  #ended = false;

  /** `segmentBytes` only in tests; the format fixes it (UPLOAD_HASH_SEGMENT_BYTES). */
  constructor(source: AsyncIterable<Uint8Array>, segmentBytes: number = UPLOAD_HASH_SEGMENT_BYTES) {
    this.#iterator = source[Symbol.asyncIterator]();
    this.#hash = new HashThread({ segmentBytes });
  }

  /** The staged bytes, hashed on the way through. Closing this stream early does not close the source. */
  async *stream(): AsyncGenerator<Uint8Array> {
    while (true) {
      const piece = await this.#next();
      if (piece === undefined) return;
      yield piece;
    }
  }

  /**
   * Reads whatever the consumer left (a valid envelope leaves nothing), then compares the whole object
   * with what was signed. Throws UPLOAD_SIGNATURE_INVALID on any difference.
   */
  async ensureMatches(signed: { size: number; sha256: string }, what: string): Promise<void> {
    while ((await this.#next()) !== undefined) {}
    const actual = Buffer.from(await this.#hash.digest(), "hex");
    const expected = Buffer.from(signed.sha256, "hex");
    const sameHash = expected.length === actual.length && timingSafeEqual(expected, actual);
    const stagedBytes = this.#hash.bytes;
    if (stagedBytes !== signed.size || !sameHash) {
      throw new Cce4longError(
        "UPLOAD_SIGNATURE_INVALID",
        `${what}: the staged object is not the one the provider signed`,
        { detail: { signedBytes: signed.size, stagedBytes, sameHash } },
      );
    }
  }

  /** Releases the source (an HTTP body) when ingest stops before the end, and the hash thread. */
  async close(): Promise<void> {
    await this.#hash.close();
    if (!this.#ended) {
      this.#ended = true;
      await this.#iterator.return?.();
    }
  }

  async #next(): Promise<Uint8Array | undefined> {
    if (this.#ended) return undefined;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#ended = true;
      return undefined;
    }
    await this.#hash.feed(next.value);
    return next.value;
  }
}
