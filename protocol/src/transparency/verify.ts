/**
 * Client-side verification of transparency log proofs (runs anywhere: auditors, the CLI, the Privacy
 * Plane). The two algorithms of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), step by step;
 * they return false on any mismatch and never throw on hostile proofs (only on malformed sizes/lengths).
 */
import { Cce4longError } from "../errors/index";
import { nodeHash, requireHash } from "./merkle";

export interface InclusionCheck {
  leafHash: Uint8Array;
  leafIndex: number;
  treeSize: number;
  proof: readonly Uint8Array[];
  rootHash: Uint8Array;
}

/** RFC 9162 §2.1.3.2: true iff `proof` shows `leafHash` at `leafIndex` in the tree with `rootHash`. */
export function verifyInclusion(check: InclusionCheck): boolean {
  requireHash(check.leafHash, "leaf hash");
  requireHash(check.rootHash, "root hash");
  requireSizeInteger(check.treeSize, "tree size");
  requireSizeInteger(check.leafIndex, "leaf index");
  if (check.leafIndex >= check.treeSize) return false;
  let fn = check.leafIndex;
  let sn = check.treeSize - 1;
  let r = check.leafHash;
  for (const p of check.proof) {
    if (!isHash(p) || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, check.rootHash);
}

export interface ConsistencyCheck {
  firstSize: number;
  firstRoot: Uint8Array;
  secondSize: number;
  secondRoot: Uint8Array;
  proof: readonly Uint8Array[];
}

/**
 * RFC 9162 §2.1.4.2: true iff the tree of `secondSize` leaves extends the tree of `firstSize` leaves.
 * Size 0 is consistent with everything (empty proof); equal sizes need equal roots and an empty proof.
 */
export function verifyConsistency(check: ConsistencyCheck): boolean {
  requireHash(check.firstRoot, "first root");
  requireHash(check.secondRoot, "second root");
  requireSizeInteger(check.firstSize, "first tree size");
  requireSizeInteger(check.secondSize, "second tree size");
  const { firstSize: first, secondSize: second } = check;
  if (first > second) return false;
  if (first === 0) return check.proof.length === 0;
  if (first === second) return check.proof.length === 0 && equalBytes(check.firstRoot, check.secondRoot);
  if (check.proof.length === 0 || !check.proof.every(isHash)) return false;
  const path = isPowerOfTwo(first) ? [check.firstRoot, ...check.proof] : [...check.proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, check.firstRoot) && equalBytes(sr, check.secondRoot);
}

/** Throwing form for callers that must stop: TRANSPARENCY_PROOF_INVALID naming what failed. */
export function ensureInclusion(check: InclusionCheck, what: string): void {
  if (!verifyInclusion(check)) {
    throw new Cce4longError("TRANSPARENCY_PROOF_INVALID", `inclusion proof of ${what} does not verify`, {
      detail: { leafIndex: check.leafIndex, treeSize: check.treeSize },
    });
  }
}

/** Throwing form of verifyConsistency. */
export function ensureConsistency(check: ConsistencyCheck): void {
  if (!verifyConsistency(check)) {
    throw new Cce4longError(
      "TRANSPARENCY_PROOF_INVALID",
      `log head of size ${check.secondSize} is not consistent with the head of size ${check.firstSize}`,
      { detail: { firstSize: check.firstSize, secondSize: check.secondSize } },
    );
  }
}

/** Roots and proofs are public values: a plain comparison is fine (no secret to leak through timing). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === 32;
}

function isPowerOfTwo(n: number): boolean {
  let rest = n;
  while (rest > 1 && rest % 2 === 0) rest /= 2;
  return rest === 1;
}

function requireSizeInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Cce4longError("VALIDATION_FAILED", `${what} must be a non-negative integer, got ${value}`);
  }
}
