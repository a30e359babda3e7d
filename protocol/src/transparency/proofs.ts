/**
 * Wire formats of the transparency log (runs anywhere): the head committed on-chain, inclusion and
 * consistency proofs as JSON (0x-hex hashes), and the checks a client runs on what a log server sends.
 * The log server is untrusted: everything it returns is verified against a head taken from the chain.
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils";
import type { Hex } from "viem";
import { z } from "zod";
import { Cce4longError } from "../errors/index";
import { parseTransparencyEntry, type TransparencyEntry, transparencyEntryLeafHash } from "./log-entry";
import { ensureConsistency, ensureInclusion } from "./verify";

const HashHex = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes as 0x and 64 lowercase hex digits")
  .transform((value) => value as Hex);
const Size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** (size, root): what `commitTransparencyLogHead` stores and `TransparencyLogHeadCommitted` records. */
export const LogHeadSchema = z.strictObject({ treeSize: Size, rootHash: HashHex });
export type LogHead = z.output<typeof LogHeadSchema>;

export const InclusionProofSchema = z.strictObject({
  leafIndex: Size,
  treeSize: Size,
  proof: z.array(HashHex).max(64),
});
export type InclusionProofJson = z.output<typeof InclusionProofSchema>;

export const ConsistencyProofSchema = z.strictObject({
  firstSize: Size,
  secondSize: Size,
  proof: z.array(HashHex).max(128),
});
export type ConsistencyProofJson = z.output<typeof ConsistencyProofSchema>;

/** An entry and the proof that it is in the tree of `inclusion.treeSize` leaves. */
export const EntryWithProofSchema = z.strictObject({ entry: z.unknown(), inclusion: InclusionProofSchema });
export interface EntryWithProof {
  entry: TransparencyEntry;
  inclusion: InclusionProofJson;
}

export function hashToHex(hash: Uint8Array): Hex {
  return `0x${bytesToHex(hash)}`;
}

export function hexToHash(hex: Hex): Uint8Array {
  return hexToBytes(hex.slice(2));
}

/** Parses what a log server sent; VALIDATION_FAILED on a malformed answer. */
export function parseEntryWithProof(input: unknown): EntryWithProof {
  const parsed = EntryWithProofSchema.safeParse(input);
  if (!parsed.success) {
    throw new Cce4longError("VALIDATION_FAILED", "malformed transparency log proof", {
      detail: { issues: parsed.error.issues.slice(0, 5) },
    });
  }
  return { entry: parseTransparencyEntry(parsed.data.entry), inclusion: parsed.data.inclusion };
}

/**
 * Checks that `item.entry` is leaf `inclusion.leafIndex` of the log whose head is `head`.
 * TRANSPARENCY_PROOF_INVALID if the proof is for another size or does not verify.
 */
export function verifyEntryInHead(head: LogHead, item: EntryWithProof, what: string): void {
  if (item.inclusion.treeSize !== head.treeSize) {
    throw new Cce4longError(
      "TRANSPARENCY_PROOF_INVALID",
      `inclusion proof of ${what} is for another log size`,
      {
        detail: { proofSize: item.inclusion.treeSize, headSize: head.treeSize },
      },
    );
  }
  ensureInclusion(
    {
      leafHash: transparencyEntryLeafHash(item.entry),
      leafIndex: item.inclusion.leafIndex,
      treeSize: head.treeSize,
      proof: item.inclusion.proof.map(hexToHash),
      rootHash: hexToHash(head.rootHash),
    },
    what,
  );
}

/** Checks that `next` extends `previous` (a client remembering heads detects forks and rewrites). */
export function verifyHeadExtends(previous: LogHead, next: LogHead, proof: ConsistencyProofJson): void {
  if (proof.firstSize !== previous.treeSize || proof.secondSize !== next.treeSize) {
    throw new Cce4longError("TRANSPARENCY_PROOF_INVALID", "consistency proof is for other log sizes");
  }
  ensureConsistency({
    firstSize: previous.treeSize,
    firstRoot: hexToHash(previous.rootHash),
    secondSize: next.treeSize,
    secondRoot: hexToHash(next.rootHash),
    proof: proof.proof.map(hexToHash),
  });
}
