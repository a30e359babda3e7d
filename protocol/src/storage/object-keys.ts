/**
 * Object keys of public, content-addressed records (runs anywhere): where a job spec lives in the
 * algorithms bucket. Whoever stores a spec (edge API, CLI) and whoever reads it (the Privacy Plane,
 * which re-checks the on-chain commitment) use this one function.
 */
import { Cce4longError } from "../errors/index";

/** `job-specs/<specCommitment>.json` in BUCKETS.algorithms; the body is the canonical spec JSON. */
export function jobSpecObjectKey(specCommitment: string): string {
  if (!/^0x[0-9a-f]{64}$/.test(specCommitment)) {
    throw new Cce4longError("VALIDATION_FAILED", "spec commitment must be 0x and 64 lowercase hex digits");
  }
  return `job-specs/${specCommitment}.json`;
}
