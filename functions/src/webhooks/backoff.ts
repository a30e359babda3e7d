/**
 * The retry schedule of webhook deliveries (runs in workerd): exponential backoff, 5 s after the
 * first failure and four times longer after each next one, capped at 6 hours; after MAX_ATTEMPTS
 * attempts (about 7.6 hours in all) the delivery is given up and counted as failed.
 */
export const MAX_ATTEMPTS = 8;
const FIRST_RETRY_MS = 5_000;
const FACTOR = 4;
const CAP_MS = 6 * 60 * 60 * 1000;

/** Delay before the next attempt after `failures` failed attempts (1-based), or null to give up. */
export function retryDelayMs(failures: number): number | null {
  if (!Number.isInteger(failures) || failures < 1)
    throw new RangeError("failures must be a positive integer");
  if (failures >= MAX_ATTEMPTS) return null;
  return Math.min(CAP_MS, FIRST_RETRY_MS * FACTOR ** (failures - 1));
}
