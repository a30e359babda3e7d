/**
 * Mints a Job Credential (runs inside the TEE, in the dispatcher): fresh single-use nonce, expiry,
 * EIP-712 signature by the "job-credential" key. The key is the caller's; it is not kept here.
 */
import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import { signTypedData } from "viem/accounts";
import {
  CREDENTIAL_NONCE_BYTES,
  type CredentialDomain,
  credentialDomain,
  credentialMessage,
  encodeCredential,
  JOB_CREDENTIAL_TYPES,
  type JobCredentialClaims,
} from "./job-credential";

export interface MintCredentialParameters {
  /** The "job-credential" secp256k1 private key (0x hex). */
  privateKey: Hex;
  domain: CredentialDomain;
  scope: Omit<JobCredentialClaims, "nonce" | "issuedAt" | "expiresAt">;
  now: Date;
  ttlSeconds: number;
}

export interface MintedCredential {
  credential: string;
  claims: JobCredentialClaims;
}

export async function mintJobCredential(params: MintCredentialParameters): Promise<MintedCredential> {
  const issuedAt = Math.floor(params.now.getTime() / 1000);
  const claims: JobCredentialClaims = {
    ...params.scope,
    nonce: `0x${randomBytes(CREDENTIAL_NONCE_BYTES).toString("hex")}`,
    issuedAt: String(issuedAt),
    expiresAt: String(issuedAt + params.ttlSeconds),
  };
  const signature = await signTypedData({
    privateKey: params.privateKey,
    domain: credentialDomain(params.domain),
    types: JOB_CREDENTIAL_TYPES,
    primaryType: "JobCredential",
    message: credentialMessage(claims),
  });
  return { credential: encodeCredential(claims, signature), claims };
}
