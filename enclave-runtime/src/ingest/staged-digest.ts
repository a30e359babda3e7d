/**
 * The size and SHA-256 of a staged upload envelope, taken while ingest reads it (runs inside the TEE):
 * the single pass that decrypts the envelope also proves it is the object the provider signed
 * (docs/upload-envelope.md section 5), so a 10 GiB file is never read twice.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";

export class StagedDigest {
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #hash = createHash("sha256");
  #bytes = 0;
  #ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#iterator = source[Symbol.asyncIterator]();
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
    const actual = this.#hash.digest();
    const expected = Buffer.from(signed.sha256, "hex");
    const sameHash = expected.length === actual.length && timingSafeEqual(expected, actual);
    if (this.#bytes !== signed.size || !sameHash) {
      throw new Cce4longError(
        "UPLOAD_SIGNATURE_INVALID",
        `${what}: the staged object is not the one the provider signed`,
        { detail: { signedBytes: signed.size, stagedBytes: this.#bytes, sameHash } },
      );
    }
  }

  /** Releases the source (an HTTP body) when ingest stops before the end. */
  async close(): Promise<void> {
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
    this.#hash.update(next.value);
    this.#bytes += next.value.length;
    return next.value;
  }
}
