/**
 * The EIP-712 typed data of a Job Credential (runs anywhere): minted by the Privacy Plane, checked by it
 * at key release, and by the boot agent when it checks who answered its key request. One definition.
 */
import type { Address } from "viem";

export const JOB_CREDENTIAL_TYPES = {
  JobCredential: [
    { name: "jobId", type: "bytes32" },
    { name: "datasetId", type: "bytes32" },
    { name: "datasetVersion", type: "uint32" },
    { name: "manifestRoot", type: "bytes32" },
    { name: "imageDigest", type: "bytes32" },
    { name: "specCommitment", type: "bytes32" },
    { name: "nonce", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
    { name: "expiresAt", type: "uint64" },
  ],
} as const;

/** The EIP-712 domain: names the hub it speaks for, so a credential of one deployment is void in another. */
export interface CredentialDomain {
  chainId: number;
  hub: Address;
}

export function credentialDomain(domain: CredentialDomain) {
  return {
    name: "cce4long Job Credential",
    version: "1",
    chainId: domain.chainId,
    verifyingContract: domain.hub,
  } as const;
}
