/**
 * The object store as ingest sees it (runs inside the TEE): a narrow interface, and its S3 implementation
 * (SigV4 through aws4fetch; GCS/R2 in production, the local SigV4-checking store in development).
 * Only ciphertext and public manifests ever pass through it.
 */
import { Cce4longError } from "@cce4long/protocol";
import { AwsClient } from "aws4fetch";

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

export interface ObjectStore {
  /** The object's bytes as a stream, or null if it does not exist. */
  getStream(bucket: string, key: string): Promise<AsyncIterable<Uint8Array> | null>;
  /** The whole object (for small objects: records, manifests), or null. */
  getBytes(bucket: string, key: string): Promise<Uint8Array | null>;
  /** Size in bytes, or null if absent. */
  head(bucket: string, key: string): Promise<number | null>;
  put(bucket: string, key: string, body: Uint8Array, contentType?: string): Promise<void>;
  /** Deleting an absent object succeeds (S3 semantics). */
  delete(bucket: string, key: string): Promise<void>;
  createMultipart(bucket: string, key: string): Promise<string>;
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
  ): Promise<string>;
  completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
  ): Promise<void>;
  abortMultipart(bucket: string, key: string, uploadId: string): Promise<void>;
}

/** Listing by prefix: only the staging sweeper needs it (ingest itself always knows its keys). */
export interface ObjectLister {
  /** Every key under `prefix`, in key order (all pages). */
  list(bucket: string, prefix: string): Promise<string[]>;
}

export interface S3ObjectStoreOptions {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** ListObjects max-keys; unset: the store's default (1,000). Tests set it low to exercise paging. */
  listPageSize?: number;
}

/** S3 and GCS refuse presigned URLs that live longer than 7 days. */
export const MAX_PRESIGN_SECONDS = 604_800;

/** The Privacy Plane's object store, from its configuration (one place reads those four settings). */
export function objectStoreFromConfig(config: {
  OBJECT_STORE_ENDPOINT: string;
  OBJECT_STORE_REGION: string;
  OBJECT_STORE_ACCESS_KEY_ID: string;
  OBJECT_STORE_SECRET_ACCESS_KEY: string;
}): S3ObjectStore {
  return new S3ObjectStore({
    endpoint: config.OBJECT_STORE_ENDPOINT,
    region: config.OBJECT_STORE_REGION,
    accessKeyId: config.OBJECT_STORE_ACCESS_KEY_ID,
    secretAccessKey: config.OBJECT_STORE_SECRET_ACCESS_KEY,
  });
}

/** Path-style S3 over SigV4. Bulk bodies are sent UNSIGNED-PAYLOAD (integrity: TLS, and our own hashes). */
export class S3ObjectStore implements ObjectStore, ObjectLister {
  readonly #client: AwsClient;
  readonly #endpoint: string;
  readonly #listPageSize: number | undefined;

  constructor(options: S3ObjectStoreOptions) {
    this.#client = new AwsClient({
      accessKeyId: options.accessKeyId,
      secretAccessKey: options.secretAccessKey,
      service: "s3",
      region: options.region,
    });
    this.#endpoint = options.endpoint.replace(/\/+$/, "");
    this.#listPageSize = options.listPageSize;
  }

  /**
   * A presigned GET of one object (SigV4 query signing: method, bucket and key are signed), valid
   * `ttlSeconds` (at most 7 days, the S3 and GCS limit). The URL is a bearer secret for that object.
   */
  async presignGet(bucket: string, key: string, ttlSeconds: number): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
      throw new Cce4longError("VALIDATION_FAILED", "A presigned URL lives 1 s to 7 days");
    }
    const url = new URL(`${this.#endpoint}/${bucket}/${encodeKey(key)}`);
    url.searchParams.set("X-Amz-Expires", String(ttlSeconds));
    const signed = await this.#client.sign(url.toString(), { method: "GET", aws: { signQuery: true } });
    return signed.url;
  }

  async getStream(bucket: string, key: string): Promise<AsyncIterable<Uint8Array> | null> {
    const res = await this.#send("GET", bucket, key);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    await this.#ensureOk(res, "GET", key);
    if (res.body === null) return (async function* () {})();
    return res.body as unknown as AsyncIterable<Uint8Array>;
  }

  async getBytes(bucket: string, key: string): Promise<Uint8Array | null> {
    const res = await this.#send("GET", bucket, key);
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    await this.#ensureOk(res, "GET", key);
    return new Uint8Array(await res.arrayBuffer());
  }

  async head(bucket: string, key: string): Promise<number | null> {
    const res = await this.#send("HEAD", bucket, key);
    if (res.status === 404) return null;
    await this.#ensureOk(res, "HEAD", key);
    return Number(res.headers.get("content-length") ?? "0");
  }

  async put(
    bucket: string,
    key: string,
    body: Uint8Array,
    contentType = "application/octet-stream",
  ): Promise<void> {
    const res = await this.#send("PUT", bucket, key, { body, headers: { "content-type": contentType } });
    await this.#ensureOk(res, "PUT", key);
    await res.body?.cancel();
  }

  async delete(bucket: string, key: string): Promise<void> {
    const res = await this.#send("DELETE", bucket, key);
    if (res.status === 404) return;
    await this.#ensureOk(res, "DELETE", key);
    await res.body?.cancel();
  }

  /**
   * ListObjects (version 1) paged by `marker` = the last key seen: S3, GCS's XML API and R2 all serve it,
   * and the local s3rver cannot page ListObjectsV2 on Node 22 (its continuation token needs the removed
   * crypto.createCipher).
   */
  async list(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let marker: string | undefined;
    while (true) {
      const query = [
        `prefix=${encodeURIComponent(prefix)}`,
        ...(this.#listPageSize === undefined ? [] : [`max-keys=${this.#listPageSize}`]),
        ...(marker === undefined ? [] : [`marker=${encodeURIComponent(marker)}`]),
      ].join("&");
      const res = await this.#send("GET", bucket, "", { query });
      await this.#ensureOk(res, "ListObjects", prefix);
      const xml = await res.text();
      const page = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => unescapeXml(m[1]!));
      keys.push(...page);
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml)) return keys;
      if (page.length === 0) throw failed("ListObjects was truncated but returned no key", { prefix });
      marker = page[page.length - 1];
    }
  }

  async createMultipart(bucket: string, key: string): Promise<string> {
    const res = await this.#send("POST", bucket, key, { query: "uploads" });
    await this.#ensureOk(res, "CreateMultipartUpload", key);
    const id = /<UploadId>([^<]+)<\/UploadId>/.exec(await res.text())?.[1];
    if (!id) throw failed("CreateMultipartUpload answered without an UploadId", { key });
    return id;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
  ): Promise<string> {
    const query = `partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`;
    const res = await this.#send("PUT", bucket, key, { query, body });
    await this.#ensureOk(res, "UploadPart", key);
    await res.body?.cancel();
    const etag = res.headers.get("etag");
    if (!etag) throw failed("UploadPart answered without an ETag", { key, partNumber });
    return etag;
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
  ): Promise<void> {
    const xml = completeMultipartXml(parts);
    const res = await this.#send("POST", bucket, key, {
      query: `uploadId=${encodeURIComponent(uploadId)}`,
      body: new TextEncoder().encode(xml),
      headers: { "content-type": "application/xml" },
      signBody: true,
    });
    await this.#ensureOk(res, "CompleteMultipartUpload", key);
    // S3 may answer 200 with an <Error> body when completion fails late.
    const text = await res.text();
    if (text.includes("<Error>"))
      throw failed("CompleteMultipartUpload failed", { key, body: text.slice(0, 300) });
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    const res = await this.#send("DELETE", bucket, key, {
      query: `uploadId=${encodeURIComponent(uploadId)}`,
    });
    if (res.status === 404) return;
    await this.#ensureOk(res, "AbortMultipartUpload", key);
    await res.body?.cancel();
  }

  async #send(
    method: string,
    bucket: string,
    key: string,
    options: { query?: string; body?: Uint8Array; headers?: Record<string, string>; signBody?: boolean } = {},
  ): Promise<Response> {
    const url = `${this.#endpoint}/${bucket}/${encodeKey(key)}${options.query ? `?${options.query}` : ""}`;
    const headers: Record<string, string> = { ...options.headers };
    // Small signed bodies (the multipart completion) keep their hash; bulk data streams unsigned.
    if (options.body !== undefined && !options.signBody) headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    try {
      return await this.#client.fetch(url, { method, headers, body: options.body as RequestInit["body"] });
    } catch (cause) {
      throw failed(`object store unreachable (${method})`, { key }, cause);
    }
  }

  async #ensureOk(res: Response, operation: string, key: string): Promise<void> {
    if (res.ok) return;
    const text = await res.text().catch(() => "");
    throw failed(`object store ${operation} failed with HTTP ${res.status}`, {
      key,
      status: res.status,
      code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1],
    });
  }
}

export function completeMultipartXml(parts: readonly CompletedPart[]): string {
  const body = [...parts]
    .sort((a, b) => a.partNumber - b.partNumber)
    .map(
      (p) =>
        `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(quoteEtag(p.etag))}</ETag></Part>`,
    )
    .join("");
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>${body}</CompleteMultipartUpload>`;
}

function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function escapeXml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function unescapeXml(value: string): string {
  return value
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/** Keys are path segments: each is URI-encoded, `/` kept (S3's canonical URI rules). */
function encodeKey(key: string): string {
  return key
    .split("/")
    .map((s) =>
      encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join("/");
}

function failed(message: string, detail: Record<string, unknown>, cause?: unknown): Cce4longError {
  return new Cce4longError("OBJECT_STORE_FAILED", message, { detail, cause });
}
