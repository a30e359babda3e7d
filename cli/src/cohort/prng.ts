/**
 * The cohort generator's seeded pseudo-random numbers (runs on the user's machine). Not for secrets.
 * xoshiro128** 1.1 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), its 128-bit
 * state seeded from a 64-bit seed with splitmix64 (https://prng.di.unimi.it/splitmix64.c), as the
 * authors recommend. 32-bit arithmetic keeps it fast in JavaScript; only seeding uses bigint.
 */

const MASK64 = (1n << 64n) - 1n;

/** One splitmix64 step: returns [next state, output]. */
export function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The second Box-Muller deviate, kept for the next normal() call. */
  private spareNormal: number | undefined;

  /** Seeds from a 64-bit unsigned integer (taken modulo 2^64). */
  constructor(seed: bigint) {
    const [state1, a] = splitmix64(BigInt.asUintN(64, seed));
    const [, b] = splitmix64(state1);
    this.s0 = Number(a & 0xffffffffn);
    this.s1 = Number(a >> 32n);
    this.s2 = Number(b & 0xffffffffn);
    this.s3 = Number(b >> 32n);
  }

  /** The next 32-bit unsigned output. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in (0, 1), never 0 or 1 (safe for log), 53 bits of precision. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low + 0.5) / 9007199254740992;
  }

  /** Uniform integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.uniform() * (max - min + 1));
  }

  /** Normal deviate (Box-Muller; the second of each pair is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spareNormal = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  }

  /** Exponential deviate with rate 1. */
  exponential(): number {
    return -Math.log(this.uniform());
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Picks an index by cumulative weights (last entry is the total). */
  weighted(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const u = this.uniform() * total;
    for (let i = 0; i < cumulative.length; i++) if (u < (cumulative[i] ?? 0)) return i;
    return cumulative.length - 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
