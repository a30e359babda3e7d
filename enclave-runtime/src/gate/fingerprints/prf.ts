/**
 * The keyed fingerprint function (runs inside the TEE): tag = first 8 bytes of AES-256(K, block),
 * K expanded (HKDF-SHA256) from the per-dataset-version key ingest passes in, block = a normalized
 * value (normalize.ts). A block cipher on single blocks is a pseudo-random function, so without K no
 * one can test a guessed value against a stored tag. Why not HMAC-SHA256 per value: at 3 to 10 us a
 * call it would cap a scan near 1 MB/s; one AES-ECB call over a batch of blocks costs nanoseconds
 * per value (node:crypto, AES-NI). ECB is right here: every block is an independent PRF input.
 */
import { createCipheriv } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import { expandKey } from "@cce4long/sealing/keys/derive";
import { GATE_FINGERPRINT_TAG_KEY_LABEL } from "@cce4long/sealing/keys/labels";
import { BLOCK_KIND } from "./normalize";

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Blocks and stored tags are little-endian word arrays; a big-endian host would build other tags.
  throw new Error("the gate's fingerprints need a little-endian host");
}

/** Marks a constructor argument that is already the expanded tag key (a scan worker's copy). */
const EXPANDED = Symbol("expanded tag key");

export class FingerprintKey {
  readonly #key: Uint8Array;

  /** `datasetKey`: the 32-byte key of one dataset version (the caller derives it; never stored here). */
  constructor(datasetKey: Uint8Array, expanded?: typeof EXPANDED) {
    if (datasetKey.length !== 32) {
      throw new Cce4longError("VALIDATION_FAILED", "fingerprint key must be 32 bytes", {
        detail: { length: datasetKey.length },
      });
    }
    this.#key =
      expanded === EXPANDED
        ? Uint8Array.from(datasetKey)
        : expandKey(datasetKey, GATE_FINGERPRINT_TAG_KEY_LABEL);
  }

  /**
   * A copy of the expanded tag key for a scan worker of this process (parallel-scan/): the caller
   * transfers it in a postMessage and the worker wipes it after use. Never logged or stored.
   */
  tagKeyForWorker(): Uint8Array {
    return Uint8Array.from(this.#key);
  }

  /** The key a worker rebuilds from tagKeyForWorker()'s bytes (copied; the caller wipes its bytes). */
  static fromTagKey(tagKey: Uint8Array): FingerprintKey {
    return new FingerprintKey(tagKey, EXPANDED);
  }

  /** Overwrites the key with zeros: a scan worker's copy once its scan is done. Tags after this are wrong. */
  wipe(): void {
    this.#key.fill(0);
  }

  /**
   * Encrypts the first `blocks` 4-word blocks of `words`; tag i is (out[4i], out[4i+1]) as (lo, hi).
   */
  tags(words: Uint32Array, blocks: number): Uint32Array {
    if (blocks === 0) return new Uint32Array(0);
    const cipher = createCipheriv("aes-256-ecb", this.#key, null);
    cipher.setAutoPadding(false);
    const input = Buffer.from(words.buffer, words.byteOffset, blocks * 16);
    const out = Buffer.concat([cipher.update(input), cipher.final()]);
    if (out.byteOffset % 4 === 0) return new Uint32Array(out.buffer, out.byteOffset, blocks * 4);
    return new Uint32Array(new Uint8Array(out).buffer);
  }

  /** A public check value: the tag of a fixed block, stored with an index to detect a wrong key. */
  keyCheck(): string {
    const block = new Uint32Array([0x63656b63, 0x67617465, 1, BLOCK_KIND.KEY_CHECK]);
    const t = this.tags(block, 1);
    return Buffer.from(t.buffer, t.byteOffset, 8).toString("hex");
  }
}

/** A growable array of 4-word blocks to encrypt in one call. */
export class BlockBatch {
  words = new Uint32Array(4 * 4096);
  count = 0;

  /** Makes room for one more block and returns its word offset. */
  next(): number {
    if ((this.count + 1) * 4 > this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    return this.count++ * 4;
  }

  reset(): void {
    this.count = 0;
  }
}
