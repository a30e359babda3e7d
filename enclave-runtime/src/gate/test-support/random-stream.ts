/**
 * A deterministic pseudo-random stream for tests of the gate's tables (runs in Node under vitest):
 * xorshift32, so a failing case replays from its seed.
 */
export function stream(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}
