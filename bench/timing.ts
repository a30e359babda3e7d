/**
 * Timing helpers shared by benchmarks (runs on the developer's machine or in CI): medians, since a
 * noisy machine's slowest and fastest runs say more about the machine than the code.
 */

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time of a synchronous `fn`, the median of `runs` calls, in ms. */
export function medianMs(fn: () => unknown, runs = 3): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}
