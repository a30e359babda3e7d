/**
 * Dominance rules for magnitude cells (runs inside the TEE), as ACRO defines them: the nk rule (the
 * n largest contributions must be under k of the total) and the p-ratio (what is left after the two
 * largest must be at least p of the largest, or the second contributor can estimate the largest).
 */
import type { GatePolicy } from "@cce4long/protocol/gate/policy";

/** True when the cell is disclosive under the nk rule. `largest` is sorted, largest first. */
export function failsNkRule(total: number, largest: readonly number[], policy: GatePolicy): boolean {
  const t = Math.abs(total);
  if (t === 0) return false;
  const top = largest.slice(0, policy.nkRule.n).reduce((s, x) => s + Math.abs(x), 0);
  return top / t >= policy.nkRule.k;
}

/** True when the cell is disclosive under the p-ratio rule. */
export function failsPRatio(total: number, largest: readonly number[], policy: GatePolicy): boolean {
  const first = Math.abs(largest[0] ?? 0);
  if (first === 0) return false;
  const rest = Math.abs(total) - first - Math.abs(largest[1] ?? 0);
  return rest / first < policy.pRatio;
}
