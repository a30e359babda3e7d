/**
 * The provider's signature over an upload session (runs anywhere): an EIP-712 statement that binds the
 * dataset, the upload session, every staged file (index, path, envelope size, segmented SHA-256 of the
 * envelope, segmented-sha256.ts) and an expiry. The provider's client signs it when it completes the session, the edge API passes it
 * through in the session record, and the Privacy Plane ingests a version only when the dataset's current
 * on-chain provider signed exactly what it read from staging. Spec: docs/upload-envelope.md section 5.
 */
import { type Address, type Hex, recoverTypedDataAddress } from "viem";
import { z } from "zod";
import { SignatureSchema } from "./common";
import { datasetPolicyDomain } from "./policies";

/** The same domain as every other cce4long EIP-712 document (policies, reviews, manifests). */
export const uploadAuthorizationDomain = datasetPolicyDomain;

/**
 * The statement's version. 2: each file's hash is the segmented SHA-256 (8 MiB segments). Version 1
 * (SHA-256 of the whole envelope, hashed on the one thread that decrypts) is retired and refused with
 * a reason that says so; its records carry no `version` field.
 */
export const UPLOAD_AUTHORIZATION_VERSION = 2;

/**
 * The EIP-712 types the provider signs. The upload id (16 random bytes) is the statement's nonce. The
 * version is signed too, and version 1's types differ (no version, `sha256`), so a version-1 signature
 * never recovers the provider under these types.
 */
export const UPLOAD_AUTHORIZATION_TYPES = {
  UploadAuthorization: [
    { name: "version", type: "uint16" },
    { name: "datasetId", type: "bytes32" },
    { name: "uploadId", type: "bytes16" },
    { name: "files", type: "UploadedFile[]" },
    { name: "expiresAt", type: "uint64" },
  ],
  UploadedFile: [
    { name: "index", type: "uint32" },
    { name: "path", type: "string" },
    { name: "size", type: "uint64" },
    { name: "segmentedSha256", type: "bytes32" },
  ],
} as const;

/** How far ahead a client may set `expiresAt` (the session TTL; longer would outlive the staging GC). */
export const MAX_UPLOAD_AUTHORIZATION_SECONDS = 24 * 3600;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "SHA-256 as 64 lowercase hex characters");

/** What the client sends with `complete` and the edge API stores in the session record, unchanged. */
export const UploadAuthorizationSchema = z.object({
  /** Absent in version-1 records, which are refused (checkUploadAuthorization says why). */
  version: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .optional()
    .meta({ description: `the statement's version; ${UPLOAD_AUTHORIZATION_VERSION} is the one accepted` }),
  /** Segmented SHA-256 (segmented-sha256.ts) of each staged object (the whole envelope), by file index. */
  files: z
    .array(z.object({ index: z.number().int().min(0), sha256: Sha256Hex }))
    .min(1)
    .max(1000),
  expiresAt: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .meta({ description: "unix seconds after which the Privacy Plane refuses the statement" }),
  signature: SignatureSchema.meta({
    description: "EIP-712 signature by the dataset's provider over UploadAuthorization",
  }),
});
export type UploadAuthorization = z.infer<typeof UploadAuthorizationSchema>;

/** The session facts the statement covers (the edge API's session record has these fields). */
export interface AuthorizedSession {
  datasetId: string;
  uploadId: string;
  files: readonly { index: number; path: string; size: number }[];
}

export interface AuthorizedFile {
  index: number;
  path: string;
  size: number;
  /** The staged envelope's segmented SHA-256 (segmented-sha256.ts), lowercase hex. */
  sha256: string;
}

/**
 * The EIP-712 message: the session's files in index order, each joined with its signed hash. Null when
 * the hashes do not name exactly the session's files (signer and verifiers build it with this function).
 */
export function uploadAuthorizationMessage(
  session: AuthorizedSession,
  authorization: Pick<UploadAuthorization, "files" | "expiresAt">,
) {
  const files = authorizedFiles(session, authorization);
  if (files === null) return null;
  return {
    version: UPLOAD_AUTHORIZATION_VERSION,
    datasetId: session.datasetId.toLowerCase() as Hex,
    uploadId: `0x${session.uploadId}` as Hex,
    files: files.map((f) => ({
      index: f.index,
      path: f.path,
      size: BigInt(f.size),
      segmentedSha256: `0x${f.sha256}` as Hex,
    })),
    expiresAt: BigInt(authorization.expiresAt),
  } as const;
}

/** The session's files with their signed hashes, or null if the hashes name other or missing files. */
export function authorizedFiles(
  session: AuthorizedSession,
  authorization: Pick<UploadAuthorization, "files">,
): AuthorizedFile[] | null {
  const hashes = new Map(authorization.files.map((f) => [f.index, f.sha256]));
  if (hashes.size !== authorization.files.length || hashes.size !== session.files.length) return null;
  const files: AuthorizedFile[] = [];
  for (const file of [...session.files].sort((a, b) => a.index - b.index)) {
    const sha256 = hashes.get(file.index);
    if (sha256 === undefined) return null;
    files.push({ index: file.index, path: file.path, size: file.size, sha256 });
  }
  return files;
}

export type UploadAuthorizationCheck = { ok: true; files: AuthorizedFile[] } | { ok: false; reason: string };

/**
 * Checks a session's authorization against the provider the chain names now and the clock: it is of the
 * current version, the hashes cover exactly the session's files, the statement has not expired, and that
 * provider signed this dataset, this session, these paths and sizes and hashes. What was staged must
 * then match `files`.
 */
export async function checkUploadAuthorization(
  session: AuthorizedSession,
  authorization: UploadAuthorization,
  expected: {
    provider: Address | string;
    chainId: number;
    hub: Hex;
    /** The clock; null only for a statement already checked in full (its version is committed). */
    nowSeconds: number | null;
  },
): Promise<UploadAuthorizationCheck> {
  const version = authorization.version ?? 1;
  if (version !== UPLOAD_AUTHORIZATION_VERSION) {
    return {
      ok: false,
      reason:
        version === 1
          ? "the upload signature is of the retired version 1 (SHA-256 of each whole envelope); start a new upload with a current cce4long client (version 2, segmented SHA-256)"
          : `the upload signature is of version ${version}; this service accepts version ${UPLOAD_AUTHORIZATION_VERSION} only`,
    };
  }
  const message = uploadAuthorizationMessage(session, authorization);
  if (message === null) {
    return { ok: false, reason: "the signed file hashes do not name exactly the session's files" };
  }
  if (expected.nowSeconds !== null && authorization.expiresAt <= expected.nowSeconds) {
    return { ok: false, reason: "the provider's upload signature has expired" };
  }
  if (
    expected.nowSeconds !== null &&
    authorization.expiresAt > expected.nowSeconds + MAX_UPLOAD_AUTHORIZATION_SECONDS
  ) {
    return { ok: false, reason: "the provider's upload signature expires too far ahead (at most 24 h)" };
  }
  const signer = await recoverTypedDataAddress({
    domain: uploadAuthorizationDomain(expected.chainId, expected.hub),
    types: UPLOAD_AUTHORIZATION_TYPES,
    primaryType: "UploadAuthorization",
    message,
    signature: authorization.signature as Hex,
  }).catch(() => null);
  if (signer === null || signer.toLowerCase() !== expected.provider.toLowerCase()) {
    return {
      ok: false,
      reason:
        "the upload is not signed by the dataset's current provider for this dataset, session and files",
    };
  }
  return { ok: true, files: authorizedFiles(session, authorization)! };
}
