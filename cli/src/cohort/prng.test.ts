/**
 * Known-answer tests of the cohort PRNG (runs in Node under vitest). The vectors come from the
 * authors' reference C code (splitmix64.c and xoshiro128starstar.c from prng.di.unimi.it), compiled
 * with gcc -O2 and seeded as prng.ts does: state = [lo(a), hi(a), lo(b), hi(b)] for the first two
 * splitmix64 outputs a, b of the seed.
 */
import { describe, expect, it } from "vitest";
import { splitmix64, Xoshiro128StarStar } from "./prng";

describe("splitmix64", () => {
  it("matches the reference outputs for seed 0", () => {
    let state = 0n;
    const out: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      const [next, value] = splitmix64(state);
      state = next;
      out.push(value);
    }
    expect(out).toEqual([0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn]);
  });
});

describe("xoshiro128**", () => {
  it("matches the reference outputs for seed 42", () => {
    const rng = new Xoshiro128StarStar(42n);
    const out = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(out).toEqual([1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]);
  });

  it("uniform stays strictly inside (0, 1) and has mean near 1/2", () => {
    const rng = new Xoshiro128StarStar(7n);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng.uniform();
      expect(u > 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01);
  });

  it("normal deviates have mean 0 and sd 1", () => {
    const rng = new Xoshiro128StarStar(8n);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(Math.sqrt(sumSq / n - mean * mean) - 1)).toBeLessThan(0.02);
  });

  it("int covers both ends of its range and nothing outside", () => {
    const rng = new Xoshiro128StarStar(9n);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it("different seeds give different streams", () => {
    const a = new Xoshiro128StarStar(1n);
    const b = new Xoshiro128StarStar(2n);
    expect(a.nextUint32()).not.toBe(b.nextUint32());
  });
});
