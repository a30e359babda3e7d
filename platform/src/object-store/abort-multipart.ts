/**
 * AbortMultipartUpload for the local object store (development only): s3rver does not implement it
 * (it answers 405), so the SigV4 front does, after the signature check, by removing s3rver's folder of
 * that upload's parts, only when the folder belongs to the same bucket and key. Production stores
 * (GCS, R2) implement the call themselves; the staging sweeper relies on it.
 */
import { readFile, rm } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { join } from "node:path";

/** s3rver's own multipart upload ids: 16 random bytes as hex (anything else cannot be one). */
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** The request's bucket, key and upload id if it is an AbortMultipartUpload, else undefined. */
export function parseAbortMultipart(
  method: string | undefined,
  rawUrl: string,
): { bucket: string; key: string; uploadId: string } | undefined {
  if (method !== "DELETE") return undefined;
  const url = new URL(rawUrl, "http://local");
  const uploadId = url.searchParams.get("uploadId");
  if (uploadId === null) return undefined;
  const [bucket, ...rest] = url.pathname.slice(1).split("/");
  return { bucket: decodeURIComponent(bucket ?? ""), key: rest.map(decodeURIComponent).join("/"), uploadId };
}

export async function abortMultipart(
  objectsDir: string,
  request: { bucket: string; key: string; uploadId: string },
  res: ServerResponse,
): Promise<void> {
  const folder = UPLOAD_ID.test(request.uploadId)
    ? join(objectsDir, request.bucket, "._S3rver_uploads", request.uploadId)
    : undefined;
  const owner =
    folder === undefined || request.bucket.includes("..") || request.bucket.includes("/")
      ? undefined
      : await readFile(join(folder, "key"), "utf8").catch(() => undefined);
  if (folder === undefined || owner !== request.key) {
    res
      .writeHead(404, { "content-type": "application/xml" })
      .end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified multipart upload does not exist</Message></Error>',
      );
    return;
  }
  await rm(folder, { recursive: true, force: true });
  res.writeHead(204).end();
}
