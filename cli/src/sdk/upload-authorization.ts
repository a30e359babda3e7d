/**
 * The provider's signature over a completed upload (runs on the provider's machine): EIP-712 over the
 * dataset, the session, and each staged envelope's path, size and segmented SHA-256, as the client itself
 * streamed them (protocol/src/api/upload-authorization.ts). The Privacy Plane ingests only what this signs.
 */
import {
  Cce4longError,
  UPLOAD_AUTHORIZATION_TYPES,
  UPLOAD_AUTHORIZATION_VERSION,
  type UploadAuthorization,
  uploadAuthorizationDomain,
  uploadAuthorizationMessage,
} from "@cce4long/protocol";
import type { Hex, LocalAccount } from "viem";

/** Long enough for a queued ingest to start, short enough that a leaked statement soon expires. */
export const DEFAULT_UPLOAD_AUTHORIZATION_SECONDS = 12 * 3600;

export interface StagedFileDigest {
  index: number;
  path: string;
  /** Bytes of the staged envelope. */
  size: number;
  /** Segmented SHA-256 of the staged envelope (SegmentedSha256 in @cce4long/protocol), lowercase hex. */
  sha256: string;
}

export async function signUploadAuthorization(
  provider: LocalAccount,
  input: {
    chainId: number;
    hub: Hex;
    datasetId: string;
    uploadId: string;
    files: readonly StagedFileDigest[];
    expiresAt?: number;
  },
): Promise<UploadAuthorization> {
  const expiresAt = input.expiresAt ?? Math.floor(Date.now() / 1000) + DEFAULT_UPLOAD_AUTHORIZATION_SECONDS;
  const authorization = {
    version: UPLOAD_AUTHORIZATION_VERSION,
    files: input.files.map((f) => ({ index: f.index, sha256: f.sha256 })),
    expiresAt,
  };
  const message = uploadAuthorizationMessage(
    { datasetId: input.datasetId, uploadId: input.uploadId, files: input.files },
    authorization,
  );
  if (message === null) throw new Cce4longError("VALIDATION_FAILED", "file indexes must be unique");
  const signature = await provider.signTypedData({
    domain: uploadAuthorizationDomain(input.chainId, input.hub),
    types: UPLOAD_AUTHORIZATION_TYPES,
    primaryType: "UploadAuthorization",
    message,
  });
  return { ...authorization, signature };
}
