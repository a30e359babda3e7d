/**
 * The boot agent's key request (runs in the Computing Plane VM): attests with report_data bound to its
 * ephemeral X25519 key and the credential's nonce, posts POST /v1/key-release, checks the answer was
 * signed by the same key that signed its credential, and unwraps the dataset key(s). The answer also
 * carries the lower layer: the version manifest (checked later against the credential's root) and the
 * presigned GET URLs of its data objects, which are secrets: kept in memory, never logged.
 */
import { Cce4longError } from "@cce4long/protocol";
import { buildReportData, REPORT_DATA_PURPOSE } from "@cce4long/protocol/attestation/report-data";
import { canonicalJson } from "@cce4long/protocol/jobs/canonical-json";
import {
  type CredentialDomain,
  credentialDomain,
  JOB_CREDENTIAL_TYPES,
} from "@cce4long/protocol/jobs/job-credential-typed-data";
import { type JobSpec, parseJobSpec } from "@cce4long/protocol/jobs/job-spec";
import { type EphemeralKeyPair, unwrapDatasetKey } from "@cce4long/sealing/ecdhe-wrap";
import {
  type Hex,
  hexToBytes,
  isAddressEqual,
  keccak256,
  recoverMessageAddress,
  recoverTypedDataAddress,
  stringToBytes,
} from "viem";
import { z } from "zod";
import type { Attester } from "../attestation/attester";

/** The credential's claims as the agent needs them (it never needs to trust them: the server checks). */
const CredentialClaims = z.object({
  jobId: z.string(),
  datasetId: z.string(),
  datasetVersion: z.number(),
  manifestRoot: z.string(),
  imageDigest: z.string(),
  specCommitment: z.string(),
  nonce: z.string().regex(/^0x[0-9a-f]{64}$/),
  issuedAt: z.string(),
  expiresAt: z.string(),
});

const ResponseSchema = z.strictObject({
  jobId: z.string(),
  datasetId: z.string(),
  datasetVersion: z.number(),
  manifestRoot: z.string(),
  credentialDomain: z.strictObject({ chainId: z.number(), hub: z.string().regex(/^0x[0-9a-fA-F]{40}$/) }),
  wrappedKeys: z.array(z.strictObject({ keyVersion: z.number(), wrappedKey: z.string() })),
  spec: z.unknown(),
  gateOutputPublicKey: z.string().regex(/^0x[0-9a-f]{64}$/),
  gateOutputKeyVersion: z.number(),
  outputsToken: z.string(),
  lowerLayer: z.strictObject({
    manifest: z.unknown(),
    objects: z
      .array(z.strictObject({ path: z.string().min(1).max(1024), url: z.url() }))
      .min(1)
      .max(100_000),
    expiresAt: z.iso.datetime(),
  }),
  signature: z.string().regex(/^0x[0-9a-f]{130}$/),
});

export interface ReleasedKeys {
  /** keyVersion -> 32-byte dataset key (secret: wipe at the end). */
  keys: Map<number, Uint8Array>;
  spec: JobSpec;
  gateOutputPublicKey: Uint8Array;
  gateOutputKeyVersion: number;
  outputsToken: string;
  datasetVersion: number;
  /** The dataset version's manifest root, as the credential names it (0x-hex, lowercase). */
  manifestRoot: string;
  /** The version manifest as the Privacy Plane sent it: NOT yet checked (manifest-check.ts does). */
  manifest: unknown;
  /** Presigned GET URL of each data object, by manifest path (secrets). */
  objects: { path: string; url: string }[];
  /** When those URLs stop working (unix ms), as the signed answer says. */
  urlsExpireAt: number;
}

export function credentialNonce(credential: string): Uint8Array {
  const claims = decodeClaims(credential);
  return hexToBytes(claims.nonce as Hex);
}

function decodeClaims(credential: string) {
  const body = credential.split(".")[1] ?? "";
  const parsed = CredentialClaims.safeParse(
    JSON.parse(Buffer.from(body, "base64url").toString("utf8") || "null"),
  );
  if (!parsed.success) throw new Cce4longError("CONFIG_INVALID", "The job credential is malformed");
  return parsed.data;
}

export async function requestDatasetKeys(options: {
  privacyPlaneUrl: string;
  credential: string;
  jobId: string;
  datasetId: string;
  ephemeral: EphemeralKeyPair;
  attester: Attester;
  fetchImpl?: typeof fetch;
}): Promise<ReleasedKeys> {
  const claims = decodeClaims(options.credential);
  const nonce = hexToBytes(claims.nonce as Hex);
  const reportData = buildReportData({
    purpose: REPORT_DATA_PURPOSE.KEY_RELEASE,
    publicKey: options.ephemeral.publicKey,
    nonce,
  });
  const evidence = await options.attester.attest(reportData);
  const response = await (options.fetchImpl ?? fetch)(new URL("/v1/key-release", options.privacyPlaneUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      credential: options.credential,
      evidence: Buffer.from(evidence.bytes).toString("base64"),
      ephemeralPublicKey: `0x${Buffer.from(options.ephemeral.publicKey).toString("hex")}`,
    }),
  });
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { code?: string };
    throw new Cce4longError(
      problem.code === "ATTESTATION_INVALID" ? "ATTESTATION_INVALID" : "KEY_RELEASE_DENIED",
      "The Privacy Plane refused the key",
      {
        detail: { status: response.status, code: problem.code },
      },
    );
  }
  const parsed = ResponseSchema.safeParse(await response.json());
  if (!parsed.success) throw new Cce4longError("KEY_UNWRAP_FAILED", "Key release response is malformed");
  const { signature, ...body } = parsed.data;
  await ensureSignedByCredentialIssuer(options.credential, body, signature as Hex);
  if (body.jobId !== options.jobId || body.datasetId !== options.datasetId) {
    throw new Cce4longError("KEY_UNWRAP_FAILED", "Key release response is for another job");
  }
  // The credential names the version (set from the on-chain root at dispatch); the response must
  // serve that same version, or the files checked against it would not be the ones keyed for.
  if (
    body.datasetVersion !== claims.datasetVersion ||
    body.manifestRoot.toLowerCase() !== claims.manifestRoot.toLowerCase()
  ) {
    throw new Cce4longError("KEY_UNWRAP_FAILED", "Key release response names another dataset version");
  }
  const spec = parseJobSpec(body.spec);
  if (keccak256(stringToBytes(canonicalJson(spec))) !== claims.specCommitment) {
    throw new Cce4longError("KEY_UNWRAP_FAILED", "Job spec does not match the credential's commitment");
  }
  const keys = new Map<number, Uint8Array>();
  for (const entry of body.wrappedKeys) {
    keys.set(
      entry.keyVersion,
      unwrapDatasetKey({
        wrapped: new Uint8Array(Buffer.from(entry.wrappedKey, "base64")),
        recipientPrivateKey: options.ephemeral.privateKey,
        context: {
          jobId: options.jobId,
          credentialNonce: nonce,
          datasetId: options.datasetId,
          keyVersion: entry.keyVersion,
        },
      }),
    );
  }
  return {
    keys,
    spec,
    gateOutputPublicKey: hexToBytes(body.gateOutputPublicKey as Hex),
    gateOutputKeyVersion: body.gateOutputKeyVersion,
    outputsToken: body.outputsToken,
    datasetVersion: body.datasetVersion,
    manifestRoot: claims.manifestRoot.toLowerCase(),
    manifest: body.lowerLayer.manifest,
    objects: body.lowerLayer.objects,
    urlsExpireAt: Date.parse(body.lowerLayer.expiresAt),
  };
}

/**
 * The response is signed (EIP-191 over keccak256 of its canonical JSON) by the Privacy Plane's
 * "job-credential" key; the credential is signed (EIP-712) by it too. Recovering the credential's
 * signer under the domain the response names and comparing: only the real key can make both agree.
 */
async function ensureSignedByCredentialIssuer(
  credential: string,
  body: Record<string, unknown>,
  signature: Hex,
) {
  const digest = keccak256(stringToBytes(canonicalJson(body)));
  const responseSigner = await recoverMessageAddress({ message: { raw: digest }, signature });
  const claims = decodeClaims(credential);
  const domain = body.credentialDomain as CredentialDomain;
  const credentialSignature =
    `0x${Buffer.from(credential.split(".")[2] ?? "", "base64url").toString("hex")}` as Hex;
  const credentialSigner = await recoverTypedDataAddress({
    domain: credentialDomain(domain),
    types: JOB_CREDENTIAL_TYPES,
    primaryType: "JobCredential",
    message: {
      ...claims,
      jobId: claims.jobId as Hex,
      datasetId: claims.datasetId as Hex,
      manifestRoot: claims.manifestRoot as Hex,
      imageDigest: claims.imageDigest as Hex,
      specCommitment: claims.specCommitment as Hex,
      nonce: claims.nonce as Hex,
      issuedAt: BigInt(claims.issuedAt),
      expiresAt: BigInt(claims.expiresAt),
    },
    signature: credentialSignature,
  }).catch(() => undefined);
  if (!credentialSigner || !isAddressEqual(credentialSigner, responseSigner)) {
    throw new Cce4longError(
      "KEY_UNWRAP_FAILED",
      "Key release response is not signed by the credential's issuer",
    );
  }
}
