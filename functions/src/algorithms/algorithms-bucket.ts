/**
 * The algorithms bucket as the edge API sees it (runs in workerd): the local data-availability layer
 * of job specs, stored content-addressed by their commitment. Everything here is public by design.
 */
import { Cce4longError } from "@cce4long/protocol";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { AwsClient } from "aws4fetch";
import type { Config } from "../config";

type StoreConfig = Pick<
  Config,
  | "OBJECT_STORE_ENDPOINT"
  | "OBJECT_STORE_REGION"
  | "OBJECT_STORE_ACCESS_KEY_ID"
  | "OBJECT_STORE_SECRET_ACCESS_KEY"
>;

export class AlgorithmsBucket {
  private readonly aws: AwsClient;

  constructor(private readonly config: StoreConfig) {
    this.aws = new AwsClient({
      accessKeyId: config.OBJECT_STORE_ACCESS_KEY_ID,
      secretAccessKey: config.OBJECT_STORE_SECRET_ACCESS_KEY,
      service: "s3",
      region: config.OBJECT_STORE_REGION,
    });
  }

  private url(key: string): string {
    const path = key.split("/").map(encodeURIComponent).join("/");
    return `${this.config.OBJECT_STORE_ENDPOINT.replace(/\/+$/, "")}/${BUCKETS.algorithms}/${path}`;
  }

  async put(key: string, body: string): Promise<void> {
    const response = await this.aws
      .fetch(this.url(key), { method: "PUT", body, headers: { "content-type": "application/json" } })
      .catch((cause: unknown) => {
        throw new Cce4longError("OBJECT_STORE_FAILED", "The algorithm store is unreachable", { cause });
      });
    await response.body?.cancel();
    if (!response.ok) {
      throw new Cce4longError("OBJECT_STORE_FAILED", "The algorithm store refused the spec", {
        detail: { key, status: response.status },
      });
    }
  }

  /** The object as text, or null if there is none. */
  async get(key: string): Promise<string | null> {
    const response = await this.aws.fetch(this.url(key)).catch((cause: unknown) => {
      throw new Cce4longError("OBJECT_STORE_FAILED", "The algorithm store is unreachable", { cause });
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Cce4longError("OBJECT_STORE_FAILED", "The algorithm store refused the read", {
        detail: { key, status: response.status },
      });
    }
    return response.text();
  }
}
