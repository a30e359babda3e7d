/**
 * The Result Manifest (runs anywhere): what ran (job, dataset version, image, spec, attested
 * measurement), which outputs left the TEE (names, hashes), and who decided (each gate verdict with
 * its rule ids, each reviewer decision with its signature). Written by the Privacy Plane at release,
 * verified by anyone offline (docs: protocol/src/manifest/README.md).
 */
import { z } from "zod";
import { REVIEW_DECISIONS } from "../api/reviews";

const Bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x and 64 lower-case hex digits");
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const Signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 0x-prefixed 65-byte signature");
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits");
const Instant = z.iso.datetime();

export const RESULT_MANIFEST_KIND = "cce4long/result-manifest";
/** How released outputs are encrypted (delivery/README in enclave-runtime): HPKE to the result key. */
export const RESULT_ENCRYPTION = "hpke-x25519-hkdf-sha256-aes256gcm/v1";

export const ManifestOutputSchema = z.strictObject({
  /** Relative to the job's /output. */
  path: z.string().min(1).max(512),
  /** sha256 and size of the stored (encrypted) file, what a download gives. */
  sha256: Sha256Hex,
  size: z.number().int().nonnegative(),
  /** sha256 and size of the plaintext the job wrote (the outputs commitment is over these). */
  plaintextSha256: Sha256Hex,
  plaintextSize: z.number().int().nonnegative(),
});
export type ManifestOutput = z.infer<typeof ManifestOutputSchema>;

export const ManifestGateFileSchema = z.strictObject({
  path: z.string().min(1).max(512),
  verdict: z.enum(["pass", "review", "fail"]),
  /** Ids of the rules that fired on this file (protocol/src/gate/report.ts GATE_RULES). */
  rules: z.array(z.string().min(1).max(64)).max(100),
});

export const ManifestGateSchema = z.strictObject({
  decision: z.enum(["auto-approved", "needs-review", "rejected-by-rules"]),
  files: z.array(ManifestGateFileSchema).max(1000),
  setRules: z.array(z.string().min(1).max(64)).max(100),
  checkedAt: Instant,
});

export const ManifestReviewSchema = z.strictObject({
  reviewer: Address,
  decision: z.enum(REVIEW_DECISIONS),
  /** keccak256 of the reason (the reason itself stays with the provider and reviewer). */
  reasonHash: Bytes32,
  /** The output set the reviewer decided on (an earlier set, for decisions before changes). */
  outputsCommitment: Bytes32,
  nonce: z.string().regex(/^(0|[1-9][0-9]{0,77})$/),
  deadline: z.number().int().positive(),
  /** The reviewer's EIP-712 signature over ReviewDecision (protocol/src/api/reviews.ts). */
  signature: Signature,
  decidedAt: Instant,
});
export type ManifestReview = z.infer<typeof ManifestReviewSchema>;

/** Everything the manifest hash covers. */
export const ResultManifestBodySchema = z.strictObject({
  kind: z.literal(RESULT_MANIFEST_KIND),
  version: z.literal(1),
  /** The EIP-712 domain: the chain and hub the records are on. */
  chainId: z.number().int().positive(),
  hub: Address,
  jobId: Bytes32,
  datasetId: Bytes32,
  datasetVersion: z.number().int().min(1),
  datasetVersionRoot: Bytes32,
  consumer: Address,
  imageDigest: Bytes32,
  specCommitment: Bytes32,
  /** keccak256(mrtd || rtmr0..2) of the VM the dataset key was released to. */
  measurementId: Bytes32,
  outputsCommitment: Bytes32,
  encryption: z.literal(RESULT_ENCRYPTION),
  /** The consumer's X25519 result public key from the job request on-chain. */
  resultPublicKey: Bytes32,
  outputs: z.array(ManifestOutputSchema).max(1000),
  gate: ManifestGateSchema,
  reviews: z.array(ManifestReviewSchema).max(100),
  submittedAt: Instant,
  releasedAt: Instant,
  /** The Privacy Plane's "result-manifest" key: must be a Privacy Plane signer on-chain. */
  signer: Address,
});
export type ResultManifestBody = z.infer<typeof ResultManifestBodySchema>;

/** The stored file: the body, its hash (informational: verifiers recompute it) and the signature. */
export const SignedResultManifestSchema = ResultManifestBodySchema.extend({
  manifestHash: Bytes32,
  /** EIP-712 signature by `signer` over ResultManifest {jobId, manifestHash}. */
  signature: Signature,
});
export type SignedResultManifest = z.infer<typeof SignedResultManifestSchema>;

/** The body of a signed manifest (what the hash is computed over). */
export function manifestBody(signed: SignedResultManifest): ResultManifestBody {
  const { manifestHash: _hash, signature: _signature, ...body } = signed;
  return body;
}
