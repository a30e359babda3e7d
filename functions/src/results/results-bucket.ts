/**
 * The results bucket as the edge API sees it (runs in workerd): reads a released job's Result
 * Manifest and makes short-lived presigned GET URLs (SigV4 query signing, aws4fetch) for it and its
 * outputs. The outputs are ciphertext to the consumer's result key; the edge never reads them.
 */
import { Cce4longError } from "@cce4long/protocol";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { AwsClient } from "aws4fetch";
import type { Config } from "../config";

/** A manifest larger than this is not a manifest we wrote. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

type StoreConfig = Pick<
  Config,
  | "OBJECT_STORE_ENDPOINT"
  | "OBJECT_STORE_REGION"
  | "OBJECT_STORE_ACCESS_KEY_ID"
  | "OBJECT_STORE_SECRET_ACCESS_KEY"
>;

export class ResultsBucket {
  private readonly aws: AwsClient;

  constructor(
    private readonly config: StoreConfig,
    private readonly bucket: string = BUCKETS.results,
  ) {
    this.aws = new AwsClient({
      accessKeyId: config.OBJECT_STORE_ACCESS_KEY_ID,
      secretAccessKey: config.OBJECT_STORE_SECRET_ACCESS_KEY,
      service: "s3",
      region: config.OBJECT_STORE_REGION,
    });
  }

  /** Path-style URL of one object; each key segment percent-encoded. */
  objectUrl(key: string): string {
    const path = key.split("/").map(encodeURIComponent).join("/");
    return `${this.config.OBJECT_STORE_ENDPOINT.replace(/\/+$/, "")}/${this.bucket}/${path}`;
  }

  /** The object parsed as JSON, or null if there is none. Throws RESULT_UNAVAILABLE otherwise. */
  async readJson(key: string): Promise<unknown | null> {
    let response: Response;
    try {
      response = await this.aws.fetch(this.objectUrl(key), {
        method: "GET",
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw unavailable({ key, reason: "unreachable" }, error);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw unavailable({ key, reason: "refused", status: response.status });
    }
    const text = await response.text();
    if (text.length > MAX_MANIFEST_BYTES) throw unavailable({ key, reason: "too large", bytes: text.length });
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw unavailable({ key, reason: "not JSON" }, error);
    }
  }

  /** A GET URL for `key` valid for `ttlSeconds`, usable for that key only (the path is signed). */
  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    const url = new URL(this.objectUrl(key));
    url.searchParams.set("X-Amz-Expires", String(ttlSeconds));
    const signed = await this.aws.sign(url.toString(), { method: "GET", aws: { signQuery: true } });
    return signed.url;
  }
}

function unavailable(detail: Record<string, unknown>, cause?: unknown): Cce4longError {
  return new Cce4longError("RESULT_UNAVAILABLE", "The result could not be read from storage; try again", {
    cause,
    detail,
  });
}
