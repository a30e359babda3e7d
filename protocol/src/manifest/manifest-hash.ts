/**
 * The Result Manifest's hash and EIP-712 typed data (runs anywhere). The hash is keccak256 of the
 * RFC 8785 canonical JSON of the body; the signature is EIP-712 over {jobId, manifestHash} in the
 * domain {name "cce4long", version "1", chainId, verifyingContract = hub}, so a contract can check
 * it with ecrecover(hashTypedData(...)) and anyone offline with the same digest.
 */
import { type Hex, hashTypedData, keccak256, stringToBytes } from "viem";
import { canonicalJson } from "../jobs/canonical-json";
import type { ResultManifestBody } from "./result-manifest";

export const RESULT_MANIFEST_TYPES = {
  ResultManifest: [
    { name: "jobId", type: "bytes32" },
    { name: "manifestHash", type: "bytes32" },
  ],
} as const;

/** keccak256 of the canonical JSON of the body: the bytes32 recorded with JobResultReleased. */
export function resultManifestHash(body: ResultManifestBody): Hex {
  return keccak256(stringToBytes(canonicalJson(body)));
}

/** The typed data the Privacy Plane signs and verifiers recover the signer from. */
export function resultManifestTypedData(body: ResultManifestBody) {
  return {
    domain: {
      name: "cce4long",
      version: "1",
      chainId: body.chainId,
      verifyingContract: body.hub as Hex,
    },
    types: RESULT_MANIFEST_TYPES,
    primaryType: "ResultManifest",
    message: { jobId: body.jobId as Hex, manifestHash: resultManifestHash(body) },
  } as const;
}

/** The 32-byte EIP-712 digest (what ecrecover takes on-chain). */
export function resultManifestDigest(body: ResultManifestBody): Hex {
  return hashTypedData(resultManifestTypedData(body));
}
