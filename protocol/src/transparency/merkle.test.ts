/**
 * Tests of the RFC 9162 Merkle tree and its proof verifiers (runs in Node): the RFC's own example
 * structure, the Certificate Transparency reference vectors, round trips over many tree sizes, and
 * proofs against tampered logs (changed leaf, reordered leaves, truncated proof, forked head).
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils";
import { describe, expect, it } from "vitest";
import ctVectors from "../../../test/vectors/transparency/ct-reference.json";
import rfcVectors from "../../../test/vectors/transparency/rfc9162-examples.json";
import { consistencyProof, emptyRoot, inclusionProof, leafHash, rootOf } from "./merkle";
import { ensureConsistency, ensureInclusion, verifyConsistency, verifyInclusion } from "./verify";

const ct = ctVectors as {
  emptyRoot: string;
  leaves: string[];
  rootsBySize: Record<string, string>;
  inclusion: { leafIndex: number; treeSize: number; proof: string[] }[];
  consistency: { firstSize: number; secondSize: number; proof: string[] }[];
};
const rfc = rfcVectors as unknown as {
  treeSize: number;
  nodes: Record<string, [number, number]>;
  inclusion: { leafIndex: number; proof: string[] }[];
  consistency: { firstSize: number; firstRoot: string; proof: string[] }[];
};

const CT_LEAVES = ct.leaves.map((hex) => leafHash(hexToBytes(hex)));
const rootHex = (size: number) => ct.rootsBySize[String(size)]!;
const hexes = (hashes: readonly Uint8Array[]) => hashes.map(bytesToHex);
const leavesOf = (n: number, seed = 0) =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`entry ${seed}/${i}`)));

describe("RFC 9162 §2.1.5 example tree (7 leaves)", () => {
  const leaves = CT_LEAVES.slice(0, rfc.treeSize);
  const node = (name: string) => {
    const [start, end] = rfc.nodes[name]!;
    return bytesToHex(rootOf(leaves.slice(start, end)));
  };

  it.each(rfc.inclusion)("the inclusion proof of d$leafIndex is the RFC's $proof", ({ leafIndex, proof }) => {
    expect(hexes(inclusionProof(leaves, leafIndex))).toEqual(proof.map(node));
  });

  it.each(rfc.consistency)("the consistency proof $firstSize -> 7 is the RFC's $proof", (vector) => {
    expect(hexes(consistencyProof(leaves, vector.firstSize))).toEqual(vector.proof.map(node));
    expect(node(vector.firstRoot)).toBe(bytesToHex(rootOf(leaves, vector.firstSize)));
  });
});

describe("Certificate Transparency reference vectors", () => {
  it("the empty tree's root is SHA-256 of nothing", () => {
    expect(bytesToHex(emptyRoot())).toBe(ct.emptyRoot);
    expect(bytesToHex(rootOf([]))).toBe(ct.emptyRoot);
  });

  it("every root of size 1..8 matches", () => {
    for (let size = 1; size <= 8; size++) expect(bytesToHex(rootOf(CT_LEAVES, size))).toBe(rootHex(size));
  });

  it.each(ct.inclusion)(
    "inclusion of leaf $leafIndex in size $treeSize: generated and verified",
    (vector) => {
      expect(hexes(inclusionProof(CT_LEAVES, vector.leafIndex, vector.treeSize))).toEqual(vector.proof);
      const check = {
        leafHash: CT_LEAVES[vector.leafIndex]!,
        leafIndex: vector.leafIndex,
        treeSize: vector.treeSize,
        proof: vector.proof.map(hexToBytes),
        rootHash: hexToBytes(rootHex(vector.treeSize)),
      };
      expect(verifyInclusion(check)).toBe(true);
    },
  );

  it.each(ct.consistency)("consistency $firstSize -> $secondSize: generated and verified", (vector) => {
    expect(hexes(consistencyProof(CT_LEAVES, vector.firstSize, vector.secondSize))).toEqual(vector.proof);
    const check = {
      firstSize: vector.firstSize,
      firstRoot: hexToBytes(rootHex(vector.firstSize)),
      secondSize: vector.secondSize,
      secondRoot: hexToBytes(rootHex(vector.secondSize)),
      proof: vector.proof.map(hexToBytes),
    };
    expect(verifyConsistency(check)).toBe(true);
  });
});

describe("round trips over every shape up to 33 leaves", () => {
  const leaves = leavesOf(33);

  it("every leaf's inclusion proof verifies in every tree size", () => {
    for (let size = 1; size <= leaves.length; size++) {
      const rootHash = rootOf(leaves, size);
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(leaves, index, size);
        expect(
          verifyInclusion({ leafHash: leaves[index]!, leafIndex: index, treeSize: size, proof, rootHash }),
        ).toBe(true);
      }
    }
  });

  it("every pair of sizes is consistent", () => {
    for (let second = 0; second <= leaves.length; second++) {
      for (let first = 0; first <= second; first++) {
        const check = {
          firstSize: first,
          firstRoot: rootOf(leaves, first),
          secondSize: second,
          secondRoot: rootOf(leaves, second),
          proof: consistencyProof(leaves, first, second),
        };
        expect(verifyConsistency(check), `${first} -> ${second}`).toBe(true);
      }
    }
  });
});

describe("tampered logs", () => {
  const leaves = leavesOf(13);
  const size = leaves.length;
  const rootHash = rootOf(leaves);

  it("error: an inclusion proof fails for a changed leaf", () => {
    const changed = leafHash(new TextEncoder().encode("entry 0/5 (edited)"));
    const proof = inclusionProof(leaves, 5);
    expect(verifyInclusion({ leafHash: changed, leafIndex: 5, treeSize: size, proof, rootHash })).toBe(false);
  });

  it("error: a proof from a log with a changed leaf fails against the published root", () => {
    const tampered = [...leaves];
    tampered[2] = leafHash(new TextEncoder().encode("smuggled measurement"));
    const proof = inclusionProof(tampered, 2);
    expect(verifyInclusion({ leafHash: tampered[2]!, leafIndex: 2, treeSize: size, proof, rootHash })).toBe(
      false,
    );
  });

  it("error: reordered leaves give another root, so their proofs fail", () => {
    const reordered = [...leaves];
    [reordered[3], reordered[4]] = [reordered[4]!, reordered[3]!];
    expect(bytesToHex(rootOf(reordered))).not.toBe(bytesToHex(rootHash));
    const proof = inclusionProof(reordered, 3);
    expect(verifyInclusion({ leafHash: reordered[3]!, leafIndex: 3, treeSize: size, proof, rootHash })).toBe(
      false,
    );
    // The honest proof for the leaf at its old position does not move it either.
    const honest = inclusionProof(leaves, 4);
    expect(
      verifyInclusion({ leafHash: leaves[4]!, leafIndex: 3, treeSize: size, proof: honest, rootHash }),
    ).toBe(false);
  });

  it("error: truncated, extended and bit-flipped inclusion proofs fail", () => {
    const proof = inclusionProof(leaves, 7);
    const base = { leafHash: leaves[7]!, leafIndex: 7, treeSize: size, rootHash };
    expect(verifyInclusion({ ...base, proof })).toBe(true);
    expect(verifyInclusion({ ...base, proof: proof.slice(0, -1) })).toBe(false);
    expect(verifyInclusion({ ...base, proof: [...proof, rootHash] })).toBe(false);
    expect(verifyInclusion({ ...base, proof: [rootHash, ...proof] })).toBe(false);
    expect(verifyInclusion({ ...base, proof: [...proof.slice(0, 1), new Uint8Array(31)] })).toBe(false);
    for (let i = 0; i < proof.length; i++) {
      const flipped = proof.map((p) => p.slice());
      flipped[i]![0]! ^= 0x08;
      expect(verifyInclusion({ ...base, proof: flipped })).toBe(false);
    }
    // (A size in the same proof shape, e.g. 14, gives the same path: the head binds size and root together.)
    expect(verifyInclusion({ ...base, proof, treeSize: size * 2 })).toBe(false);
    expect(verifyInclusion({ ...base, proof, treeSize: Math.floor(size / 2) })).toBe(false);
    expect(verifyInclusion({ ...base, proof, leafIndex: 6 })).toBe(false);
    expect(verifyInclusion({ ...base, proof, leafIndex: size })).toBe(false);
  });

  it("error: a head of a truncated log is not consistent with the longer head", () => {
    // The log operator shows size 9 to one party, then claims 13 leaves whose first 9 differ.
    const rewritten = [
      ...leaves.slice(0, 8),
      leafHash(new TextEncoder().encode("rewritten")),
      ...leaves.slice(9),
    ];
    const check = {
      firstSize: 9,
      firstRoot: rootOf(leaves, 9),
      secondSize: size,
      secondRoot: rootOf(rewritten),
      proof: consistencyProof(rewritten, 9),
    };
    expect(verifyConsistency(check)).toBe(false);
    expect(() => ensureConsistency(check)).toThrow(
      expect.objectContaining({ code: "TRANSPARENCY_PROOF_INVALID" }) as Error,
    );
  });

  it("error: a forked head (same size, other root) is not consistent", () => {
    const fork = [...leaves.slice(0, 12), leafHash(new TextEncoder().encode("fork"))];
    const check = {
      firstSize: size,
      firstRoot: rootHash,
      secondSize: size,
      secondRoot: rootOf(fork),
      proof: [],
    };
    expect(verifyConsistency(check)).toBe(false);
    const later = [...fork, ...leavesOf(3, 1)];
    expect(
      verifyConsistency({
        firstSize: size,
        firstRoot: rootHash,
        secondSize: later.length,
        secondRoot: rootOf(later),
        proof: consistencyProof(later, size),
      }),
    ).toBe(false);
  });

  it("error: a shrinking head, an empty or garbage consistency proof fail", () => {
    const first = { firstSize: 5, firstRoot: rootOf(leaves, 5) };
    const second = { secondSize: size, secondRoot: rootHash };
    const proof = consistencyProof(leaves, 5);
    expect(verifyConsistency({ ...first, ...second, proof })).toBe(true);
    expect(verifyConsistency({ ...first, ...second, proof: [] })).toBe(false);
    expect(verifyConsistency({ ...first, ...second, proof: proof.slice(0, -1) })).toBe(false);
    expect(verifyConsistency({ ...first, ...second, proof: [...proof, rootHash] })).toBe(false);
    expect(verifyConsistency({ ...first, ...second, proof: [proof[0]!, ...proof] })).toBe(false);
    expect(
      verifyConsistency({
        firstSize: size,
        firstRoot: rootHash,
        secondSize: 5,
        secondRoot: rootOf(leaves, 5),
        proof,
      }),
    ).toBe(false);
    expect(verifyConsistency({ ...first, ...second, secondRoot: first.firstRoot, proof })).toBe(false);
  });

  it("error: ensureInclusion throws TRANSPARENCY_PROOF_INVALID naming the subject", () => {
    expect(() =>
      ensureInclusion(
        { leafHash: leaves[0]!, leafIndex: 1, treeSize: size, proof: inclusionProof(leaves, 0), rootHash },
        "measurement 0xab",
      ),
    ).toThrow(/inclusion proof of measurement 0xab does not verify/);
  });

  it("error: malformed hashes and sizes are refused with exact messages", () => {
    expect(() =>
      verifyInclusion({ leafHash: new Uint8Array(31), leafIndex: 0, treeSize: 1, proof: [], rootHash }),
    ).toThrow("leaf hash must be 32 bytes, got 31");
    expect(() => inclusionProof(leaves, size)).toThrow("leaf index 13 is outside a tree of 13 leaves");
    expect(() => consistencyProof(leaves, 14)).toThrow("first tree size 14 must be between 0 and 13");
    expect(() => rootOf(leaves, 14)).toThrow("tree size 14 must be between 0 and 13");
  });
});
