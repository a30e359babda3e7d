/**
 * The object store as the edge API uses it (runs in workerd), bucket by bucket: presigned PUT and
 * UploadPart URLs for uploads (SigV4 query signing with aws4fetch: the method, bucket and key are
 * signed, so a URL works for one object only and only until it expires), multipart create/complete,
 * and small text/JSON records (upload sessions, published job specs, dataset policies). The edge
 * never reads an upload's bytes; they are HPKE ciphertext for the Privacy Plane anyway.
 */
import { Cce4longError } from "@cce4long/protocol";
import { AwsClient } from "aws4fetch";
import type { Config } from "../config";

type StoreConfig = Pick<
  Config,
  | "OBJECT_STORE_ENDPOINT"
  | "OBJECT_STORE_REGION"
  | "OBJECT_STORE_ACCESS_KEY_ID"
  | "OBJECT_STORE_SECRET_ACCESS_KEY"
>;

const TIMEOUT_MS = 10_000;
/**
 * Completing a multipart upload joins its parts server-side: S3 documents that this can take minutes
 * for large objects (the local stand-in re-reads and re-writes the whole object), so it gets longer.
 */
const COMPLETE_TIMEOUT_MS = 120_000;
const MAX_RECORD_BYTES = 1024 * 1024;

export class ObjectStoreClient {
  private readonly aws: AwsClient;

  constructor(private readonly config: StoreConfig) {
    this.aws = new AwsClient({
      accessKeyId: config.OBJECT_STORE_ACCESS_KEY_ID,
      secretAccessKey: config.OBJECT_STORE_SECRET_ACCESS_KEY,
      service: "s3",
      region: config.OBJECT_STORE_REGION,
    });
  }

  objectUrl(bucket: string, key: string): string {
    const path = key.split("/").map(encodeURIComponent).join("/");
    return `${this.config.OBJECT_STORE_ENDPOINT.replace(/\/+$/, "")}/${bucket}/${path}`;
  }

  /** A presigned PUT for one object (no multipart), valid `ttlSeconds`. */
  async presignPut(bucket: string, key: string, ttlSeconds: number): Promise<string> {
    return this.presign(new URL(this.objectUrl(bucket, key)), "PUT", ttlSeconds);
  }

  /** A presigned UploadPart for one part of one multipart upload of one object. */
  async presignPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    ttlSeconds: number,
  ): Promise<string> {
    const url = new URL(this.objectUrl(bucket, key));
    url.searchParams.set("partNumber", String(partNumber));
    url.searchParams.set("uploadId", uploadId);
    return this.presign(url, "PUT", ttlSeconds);
  }

  async createMultipart(bucket: string, key: string): Promise<string> {
    const response = await this.send(`${this.objectUrl(bucket, key)}?uploads`, { method: "POST" }, key);
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(await response.text())?.[1];
    if (!id) throw failed({ key, reason: "no UploadId" });
    return id;
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<void> {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>${[...parts]
      .sort((a, b) => a.partNumber - b.partNumber)
      .map(
        (p) =>
          `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(quote(p.etag))}</ETag></Part>`,
      )
      .join("")}</CompleteMultipartUpload>`;
    const url = `${this.objectUrl(bucket, key)}?uploadId=${encodeURIComponent(uploadId)}`;
    const response = await this.send(
      url,
      { method: "POST", body: xml, headers: { "content-type": "application/xml" } },
      key,
      false,
      COMPLETE_TIMEOUT_MS,
    );
    const text = await response.text();
    if (text.includes("<Error>")) throw failed({ key, reason: "completion refused" });
  }

  /** The object's size, or null if it is not there. */
  async size(bucket: string, key: string): Promise<number | null> {
    const response = await this.send(this.objectUrl(bucket, key), { method: "HEAD" }, key, true);
    if (response.status === 404) return null;
    return Number(response.headers.get("content-length") ?? "-1");
  }

  /** The object as text, or null if it is not there. */
  async readText(bucket: string, key: string): Promise<string | null> {
    const response = await this.send(this.objectUrl(bucket, key), { method: "GET" }, key, true);
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    const text = await response.text();
    if (text.length > MAX_RECORD_BYTES) throw failed({ key, reason: "record too large" });
    return text;
  }

  async readJson(bucket: string, key: string): Promise<unknown | null> {
    const text = await this.readText(bucket, key);
    if (text === null) return null;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw failed({ key, reason: "not JSON" }, error);
    }
  }

  async writeText(bucket: string, key: string, text: string): Promise<void> {
    const response = await this.send(
      this.objectUrl(bucket, key),
      { method: "PUT", body: text, headers: { "content-type": "application/json" } },
      key,
    );
    await response.body?.cancel();
  }

  writeJson(bucket: string, key: string, value: unknown): Promise<void> {
    return this.writeText(bucket, key, JSON.stringify(value));
  }

  private async presign(url: URL, method: string, ttlSeconds: number): Promise<string> {
    url.searchParams.set("X-Amz-Expires", String(ttlSeconds));
    const signed = await this.aws.sign(url.toString(), { method, aws: { signQuery: true } });
    return signed.url;
  }

  private async send(
    url: string,
    init: RequestInit,
    key: string,
    allow404 = false,
    timeoutMs = TIMEOUT_MS,
  ): Promise<Response> {
    let response: Response;
    try {
      response = await this.aws.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw failed({ key, reason: "unreachable" }, error);
    }
    if (response.ok || (allow404 && response.status === 404)) return response;
    await response.body?.cancel();
    throw failed({ key, reason: "refused", status: response.status });
  }
}

function quote(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function xmlEscape(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function failed(detail: Record<string, unknown>, cause?: unknown): Cce4longError {
  return new Cce4longError("OBJECT_STORE_FAILED", "The object store could not be reached; try again", {
    cause,
    detail,
  });
}
