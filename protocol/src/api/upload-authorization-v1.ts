/**
 * The retired version-1 upload authorization types (runs anywhere; nothing signs with them any more):
 * the whole envelope's SHA-256, no version field. Kept in one place so the tests at the edge, in the
 * Privacy Plane and here can sign a version-1 statement the way its clients did and show it refused
 * (upload-authorization.ts).
 */
export const UPLOAD_AUTHORIZATION_V1_TYPES = {
  UploadAuthorization: [
    { name: "datasetId", type: "bytes32" },
    { name: "uploadId", type: "bytes16" },
    { name: "files", type: "UploadedFile[]" },
    { name: "expiresAt", type: "uint64" },
  ],
  UploadedFile: [
    { name: "index", type: "uint32" },
    { name: "path", type: "string" },
    { name: "size", type: "uint64" },
    { name: "sha256", type: "bytes32" },
  ],
} as const;
