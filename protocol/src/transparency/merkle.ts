/**
 * The Merkle tree of the transparency log (runs anywhere): RFC 9162 §2.1 (same as RFC 6962 §2.1) with
 * SHA-256. leaf hash = SHA-256(0x00 || entry), node hash = SHA-256(0x01 || left || right), and the
 * proof generators PATH (§2.1.3.1) and PROOF/SUBPROOF (§2.1.4.1) over the list of leaf hashes.
 */
import { sha256 } from "@noble/hashes/sha2";
import { Cce4longError } from "../errors/index";

/** Every hash in the tree is 32 bytes (SHA-256). */
export const HASH_BYTES = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** MTH({d}) = HASH(0x00 || d): the hash of one log entry's bytes. */
export function leafHash(entry: Uint8Array): Uint8Array {
  const input = new Uint8Array(entry.length + 1);
  input[0] = LEAF_PREFIX;
  input.set(entry, 1);
  return sha256(input);
}

/** HASH(0x01 || left || right): an interior node. The prefixes keep leaves and nodes apart (second preimages). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  requireHash(left, "left child");
  requireHash(right, "right child");
  const input = new Uint8Array(1 + 2 * HASH_BYTES);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + HASH_BYTES);
  return sha256(input);
}

/** MTH({}) = HASH(): the root of the empty log. */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** The largest power of two strictly smaller than n (n >= 2): where RFC 9162 splits a tree. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[0:size]) from the leaf hashes. */
export function rootOf(leaves: readonly Uint8Array[], size: number = leaves.length): Uint8Array {
  requireSize(size, leaves.length, "tree size");
  return size === 0 ? emptyRoot() : subtreeRoot(leaves, 0, size);
}

/** PATH(m, D[0:size]): the inclusion proof of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
  size: number = leaves.length,
): Uint8Array[] {
  requireSize(size, leaves.length, "tree size");
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new Cce4longError("VALIDATION_FAILED", `leaf index ${index} is outside a tree of ${size} leaves`);
  }
  return path(leaves, index, 0, size);
}

/**
 * PROOF(first, D[0:second]): the consistency proof between the heads of sizes `first` and `second`.
 * Empty when first is 0 or first equals second (both trivially consistent, RFC 9162 §2.1.4).
 */
export function consistencyProof(
  leaves: readonly Uint8Array[],
  first: number,
  second: number = leaves.length,
): Uint8Array[] {
  requireSize(second, leaves.length, "second tree size");
  if (!Number.isSafeInteger(first) || first < 0 || first > second) {
    throw new Cce4longError("VALIDATION_FAILED", `first tree size ${first} must be between 0 and ${second}`);
  }
  if (first === 0 || first === second) return [];
  return subproof(leaves, first, 0, second, true);
}

function subtreeRoot(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

function path(leaves: readonly Uint8Array[], m: number, start: number, end: number): Uint8Array[] {
  const n = end - start;
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(leaves, m, start, start + k), subtreeRoot(leaves, start + k, end)];
  return [...path(leaves, m - k, start + k, end), subtreeRoot(leaves, start, start + k)];
}

function subproof(
  leaves: readonly Uint8Array[],
  m: number,
  start: number,
  end: number,
  complete: boolean,
): Uint8Array[] {
  const n = end - start;
  if (m === n) return complete ? [] : [subtreeRoot(leaves, start, end)];
  const k = splitPoint(n);
  if (m <= k)
    return [...subproof(leaves, m, start, start + k, complete), subtreeRoot(leaves, start + k, end)];
  return [...subproof(leaves, m - k, start + k, end, false), subtreeRoot(leaves, start, start + k)];
}

function requireSize(size: number, available: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > available) {
    throw new Cce4longError("VALIDATION_FAILED", `${what} ${size} must be between 0 and ${available}`);
  }
}

/** Exactly 32 bytes, with the exact length in the message. */
export function requireHash(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array) || value.length !== HASH_BYTES) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      `${what} must be ${HASH_BYTES} bytes, got ${value instanceof Uint8Array ? value.length : typeof value}`,
    );
  }
}
