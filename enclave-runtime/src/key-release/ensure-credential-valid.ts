/**
 * Key release, step 1 (runs inside the TEE): the Job Credential is ours (EIP-712 signature by the
 * "job-credential" key), within its validity window at "now", and its nonce was never used.
 */
import type { Address } from "viem";
import type { CredentialDomain, JobCredentialClaims } from "../credentials/job-credential";
import type { NonceStore } from "../credentials/nonce-store";
import { verifyJobCredential } from "../credentials/verify-credential";
import { KEY_RELEASE_DENIAL, keyReleaseDenied } from "./denial";

/** Clocks of the VM and the Privacy Plane differ a little. */
const CLOCK_SKEW_SECONDS = 60;

export interface EnsureCredentialValidParameters {
  credential: string;
  domain: CredentialDomain;
  issuer: Address;
  nonces: NonceStore;
  now: Date;
}

export async function ensureCredentialValid(
  params: EnsureCredentialValidParameters,
): Promise<JobCredentialClaims> {
  const claims = await verifyJobCredential(params);
  const now = Math.floor(params.now.getTime() / 1000);
  if (now >= Number(claims.expiresAt)) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.CREDENTIAL_EXPIRED, {
      jobId: claims.jobId,
      expiresAt: claims.expiresAt,
      now,
    });
  }
  if (now + CLOCK_SKEW_SECONDS < Number(claims.issuedAt)) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.CREDENTIAL_NOT_YET_VALID, { jobId: claims.jobId, now });
  }
  if (params.nonces.isUsed(claims.nonce)) {
    throw keyReleaseDenied(KEY_RELEASE_DENIAL.CREDENTIAL_REPLAYED, { jobId: claims.jobId });
  }
  return claims;
}
