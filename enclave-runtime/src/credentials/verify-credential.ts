/**
 * Checks a Job Credential's form and signature (runs inside the TEE): the EIP-712 signer must be the
 * Privacy Plane's own "job-credential" address. Expiry and single use are the key-release chain's
 * business (key-release/ensure-credential-valid.ts); this only answers "did we issue exactly this?".
 */
import { Cce4longError } from "@cce4long/protocol";
import { type Address, isAddressEqual, recoverTypedDataAddress } from "viem";
import {
  type CredentialDomain,
  credentialDomain,
  credentialMessage,
  decodeCredential,
  JOB_CREDENTIAL_TYPES,
  type JobCredentialClaims,
} from "./job-credential";

export interface VerifyCredentialParameters {
  credential: string;
  domain: CredentialDomain;
  issuer: Address;
}

export async function verifyJobCredential(params: VerifyCredentialParameters): Promise<JobCredentialClaims> {
  const { claims, signature } = decodeCredential(params.credential);
  let signer: Address;
  try {
    signer = await recoverTypedDataAddress({
      domain: credentialDomain(params.domain),
      types: JOB_CREDENTIAL_TYPES,
      primaryType: "JobCredential",
      message: credentialMessage(claims),
      signature,
    });
  } catch (cause) {
    throw signatureInvalid({ problem: "signature does not recover" }, cause);
  }
  if (!isAddressEqual(signer, params.issuer)) {
    throw signatureInvalid({ problem: "signed by another key", signer, jobId: claims.jobId });
  }
  return claims;
}

function signatureInvalid(detail: Record<string, unknown>, cause?: unknown): Cce4longError {
  return new Cce4longError("KEY_RELEASE_DENIED", "Key release denied", {
    cause,
    detail: { reason: "CREDENTIAL_SIGNATURE_INVALID", ...detail },
  });
}
