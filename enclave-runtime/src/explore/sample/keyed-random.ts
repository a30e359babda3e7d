/**
 * A deterministic random stream for the Explore sampler (runs inside the TEE): the AES-256-CTR keystream
 * (node:crypto) under a key expanded from a secret and the policy's seed. Same secret and seed, same
 * stream; without the secret, the seed alone predicts nothing (so published noise cannot be subtracted).
 */
import { createCipheriv } from "node:crypto";
import { expandKey } from "@cce4long/sealing/keys/derive";
import { EXPLORE_SAMPLE_RANDOM_LABEL } from "@cce4long/sealing/keys/labels";

const BLOCK_BYTES = 4096;

export class KeyedRandom {
  readonly #cipher;
  readonly #zeros = new Uint8Array(BLOCK_BYTES);
  #buffer = new Uint8Array(0);
  #view = new DataView(this.#buffer.buffer);
  #at = 0;

  /** `secret`: 32 bytes (the dataset key at ingest); `purpose` separates independent streams. */
  constructor(secret: Uint8Array, purpose: string, seed: number) {
    const key = expandKey(secret, EXPLORE_SAMPLE_RANDOM_LABEL, purpose, String(seed));
    // The key is unique per (secret, purpose, seed), so a zero counter block never repeats under it.
    this.#cipher = createCipheriv("aes-256-ctr", key, new Uint8Array(16));
    key.fill(0);
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    if (this.#at + 4 > this.#buffer.length) {
      this.#buffer = new Uint8Array(this.#cipher.update(this.#zeros));
      this.#view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);
      this.#at = 0;
    }
    const value = this.#view.getUint32(this.#at);
    this.#at += 4;
    return value;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  float(): number {
    const high = this.uint32() >>> 5;
    const low = this.uint32() >>> 6;
    return (high * 67_108_864 + low) / 9_007_199_254_740_992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  below(n: number): number {
    if (n <= 1) return 0;
    return Math.floor(this.float() * n);
  }

  /** Laplace(0, scale) by inverse transform. */
  laplace(scale: number): number {
    let u = this.float() - 0.5;
    while (u === -0.5) u = this.float() - 0.5;
    return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  }
}
