/**
 * The Job Credential (minted inside the TEE by the Privacy Plane, carried by a Computing Plane VM):
 * what it claims, its EIP-712 typed-data form, and its compact wire form. Scoped to one job, one
 * dataset version (manifest root), one image digest and spec, with an expiry and a single-use nonce.
 *
 * Wire form (printable ASCII, no spaces: it travels in GCE instance metadata):
 *   "jc1." base64url(JSON of the claims, bigints as decimal strings) "." base64url(65-byte signature)
 * The signature is EIP-712 (secp256k1) by the Privacy Plane's "job-credential" key over the claims as a
 * `JobCredential` struct in the domain below, so anyone holding the address can check it offline.
 */
import { Cce4longError } from "@cce4long/protocol";
import { type Hex, hexToBytes, isHex, toHex } from "viem";
import { z } from "zod";

export const CREDENTIAL_PREFIX = "jc1";
/** 32 random bytes: also the nonce bound into the VM's report_data. */
export const CREDENTIAL_NONCE_BYTES = 32;
const SIGNATURE_BYTES = 65;

export {
  type CredentialDomain,
  credentialDomain,
  JOB_CREDENTIAL_TYPES,
} from "@cce4long/protocol/jobs/job-credential-typed-data";

const Bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const Seconds = z.string().regex(/^[0-9]{1,15}$/);

export const JobCredentialClaimsSchema = z.strictObject({
  jobId: Bytes32,
  datasetId: Bytes32,
  datasetVersion: z.int().min(1).max(0xffff_ffff),
  manifestRoot: Bytes32,
  imageDigest: Bytes32,
  specCommitment: Bytes32,
  nonce: Bytes32,
  /** Unix seconds, as decimal strings (JSON has no uint64). */
  issuedAt: Seconds,
  expiresAt: Seconds,
});

export type JobCredentialClaims = Omit<z.infer<typeof JobCredentialClaimsSchema>, "jobId" | "datasetId"> & {
  jobId: Hex;
  datasetId: Hex;
  manifestRoot: Hex;
  imageDigest: Hex;
  specCommitment: Hex;
  nonce: Hex;
};

/** The claims as the EIP-712 message (bigints where Solidity has uint64). */
export function credentialMessage(claims: JobCredentialClaims) {
  return {
    jobId: claims.jobId,
    datasetId: claims.datasetId,
    datasetVersion: claims.datasetVersion,
    manifestRoot: claims.manifestRoot,
    imageDigest: claims.imageDigest,
    specCommitment: claims.specCommitment,
    nonce: claims.nonce,
    issuedAt: BigInt(claims.issuedAt),
    expiresAt: BigInt(claims.expiresAt),
  };
}

export function encodeCredential(claims: JobCredentialClaims, signature: Hex): string {
  const body = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
  const sig = Buffer.from(hexToBytes(signature)).toString("base64url");
  return `${CREDENTIAL_PREFIX}.${body}.${sig}`;
}

/** Splits and validates the wire form; says nothing about the signature (see verify-credential.ts). */
export function decodeCredential(credential: string): { claims: JobCredentialClaims; signature: Hex } {
  if (typeof credential !== "string" || credential.length > 4096)
    throw malformed("not a string of sane length");
  const parts = credential.split(".");
  if (parts.length !== 3 || parts[0] !== CREDENTIAL_PREFIX) throw malformed("not a jc1 credential");
  const [, body, sig] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(sig)) throw malformed("not base64url");
  const signatureBytes = Buffer.from(sig, "base64url");
  if (signatureBytes.length !== SIGNATURE_BYTES) throw malformed(`signature is not ${SIGNATURE_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch (cause) {
    throw malformed("claims are not JSON", cause);
  }
  const parsed = JobCredentialClaimsSchema.safeParse(json);
  if (!parsed.success)
    throw malformed(`claims invalid: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  const signature = toHex(signatureBytes);
  if (!isHex(signature)) throw malformed("signature is not hex");
  return { claims: parsed.data as JobCredentialClaims, signature };
}

/** The nonce as bytes (for report_data and the key-release AAD). */
export function credentialNonceBytes(claims: Pick<JobCredentialClaims, "nonce">): Uint8Array {
  return hexToBytes(claims.nonce);
}

function malformed(problem: string, cause?: unknown): Cce4longError {
  return new Cce4longError("KEY_RELEASE_DENIED", "Key release denied", {
    cause,
    detail: { reason: "CREDENTIAL_MALFORMED", problem },
  });
}
