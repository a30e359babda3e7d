/**
 * The key-release wire format (Privacy Plane side; the boot agent builds the same shapes):
 * POST /v1/key-release with a JSON body, answered with the wrapped key(s), the verified job spec and
 * the Output Gate's public key and the job's lower layer (the version manifest and presigned GET URLs of
 * its data objects), signed by the Privacy Plane's "job-credential" key.
 */
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";

/** A TDX quote is a few KiB; development evidence under 4 KiB. */
const MAX_EVIDENCE_BASE64 = 64 * 1024;

export const KeyReleaseRequestSchema = z.strictObject({
  credential: z.string().min(1).max(4096),
  /** The quote (or development evidence), base64. */
  evidence: z
    .string()
    .min(1)
    .max(MAX_EVIDENCE_BASE64)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/),
  /** The VM's ephemeral X25519 public key, 0x + 64 hex: the key bound into report_data. */
  ephemeralPublicKey: z.string().regex(/^0x[0-9a-f]{64}$/),
});
export type KeyReleaseRequest = z.infer<typeof KeyReleaseRequestSchema>;

export interface WrappedKeyEntry {
  keyVersion: number;
  /** 93 bytes (sealing/src/ecdhe-wrap.ts), base64. */
  wrappedKey: string;
}

/** Everything the response carries; `signature` signs keccak256 of the canonical JSON of the rest. */
export interface KeyReleaseResponseBody {
  jobId: string;
  datasetId: string;
  datasetVersion: number;
  manifestRoot: string;
  /** The credential's EIP-712 domain, so the VM can check this response and the credential share a signer. */
  credentialDomain: { chainId: number; hub: string };
  wrappedKeys: WrappedKeyEntry[];
  /** The job spec, checked against the on-chain spec commitment. */
  spec: unknown;
  /** The Output Gate's X25519 public key (HPKE recipient of the outputs), 0x hex, and its version. */
  gateOutputPublicKey: string;
  gateOutputKeyVersion: number;
  /** A one-job secret the VM presents with its outputs (with the credential). */
  outputsToken: string;
  /** What the VM reads: minted only after the key release was recorded. */
  lowerLayer: {
    /** The credential's version manifest (the VM verifies it against the credential's root). */
    manifest: unknown;
    /** One presigned GET URL per data entry (secrets: never logged). */
    objects: { path: string; url: string }[];
    /** When the URLs stop working (ISO 8601). */
    expiresAt: string;
  };
}

export function parseKeyReleaseRequest(value: unknown): KeyReleaseRequest {
  const parsed = KeyReleaseRequestSchema.safeParse(value);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(body)"))];
    throw new Cce4longError("VALIDATION_FAILED", `Invalid key release request: ${fields.join(", ")}`);
  }
  return parsed.data;
}
