/**
 * The local object store refuses what real S3 refuses (runs on the developer's machine / CI):
 * unsigned, badly signed, expired, wrong-key and tampered-body requests; presigned URLs are scoped.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../ports";
import { type RunningObjectStore, startObjectStore } from "./server";

const credentials = { accessKeyId: "test-access-key", secretAccessKey: "test-secret-key-0123456789" };
let store: RunningObjectStore;
let dir: string;
let client: AwsClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cce4long-os-"));
  store = await startObjectStore({
    port: await freePort(),
    directory: dir,
    credentials: [credentials],
    buckets: ["b1"],
  });
  client = new AwsClient({ ...credentials, service: "s3", region: "auto" });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function presign(method: string, key: string, expires = 60): Promise<string> {
  const url = new URL(`${store.endpoint}/b1/${key}`);
  url.searchParams.set("X-Amz-Expires", String(expires));
  const signed = await client.sign(url.toString(), { method, aws: { signQuery: true } });
  return signed.url;
}

describe("object store", () => {
  it("stores and returns an object through header-signed requests", async () => {
    const put = await client.fetch(`${store.endpoint}/b1/a.txt`, { method: "PUT", body: "hello" });
    expect(put.status).toBe(200);
    const get = await client.fetch(`${store.endpoint}/b1/a.txt`);
    expect(await get.text()).toBe("hello");
  });

  it("refuses an unsigned GET of an existing object", async () => {
    await client.fetch(`${store.endpoint}/b1/secret.bin`, { method: "PUT", body: "ciphertext" });
    const res = await fetch(`${store.endpoint}/b1/secret.bin`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("AccessDenied");
  });

  it("refuses a request signed with an unknown key or a wrong secret", async () => {
    const stranger = new AwsClient({
      accessKeyId: "other",
      secretAccessKey: "x".repeat(20),
      service: "s3",
      region: "auto",
    });
    expect((await stranger.fetch(`${store.endpoint}/b1/a.txt`)).status).toBe(403);
    const wrong = new AwsClient({
      ...credentials,
      secretAccessKey: "y".repeat(26),
      service: "s3",
      region: "auto",
    });
    const res = await wrong.fetch(`${store.endpoint}/b1/a.txt`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("SignatureDoesNotMatch");
  });

  it("accepts a presigned PUT for its key and refuses it for another key", async () => {
    const url = await presign("PUT", "upload/part-1");
    expect((await fetch(url, { method: "PUT", body: "data" })).status).toBe(200);
    const other = url.replace("upload/part-1", "upload/part-2");
    expect((await fetch(other, { method: "PUT", body: "data" })).status).toBe(403);
    const asGet = await fetch(url);
    expect(asGet.status).toBe(403);
  });

  it("refuses an expired presigned URL", async () => {
    const url = new URL(`${store.endpoint}/b1/late`);
    url.searchParams.set("X-Amz-Expires", "1");
    const signed = await client.sign(url.toString(), {
      method: "PUT",
      aws: { signQuery: true, datetime: "20200101T000000Z" },
    });
    const res = await fetch(signed.url, { method: "PUT", body: "x" });
    expect(res.status).toBe(403);
  });

  it("refuses a body that does not match the signed payload hash", async () => {
    const declared = createHash("sha256").update("original").digest("hex");
    const signed = await client.sign(`${store.endpoint}/b1/h.txt`, {
      method: "PUT",
      body: "original",
      headers: { "x-amz-content-sha256": declared },
    });
    const headers = new Headers(signed.headers);
    const res = await fetch(signed.url, { method: "PUT", headers, body: "tampered" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("XAmzContentSHA256Mismatch");
  });

  it("accepts a body that matches the signed payload hash", async () => {
    const declared = createHash("sha256").update("original").digest("hex");
    const signed = await client.sign(`${store.endpoint}/b1/h.txt`, {
      method: "PUT",
      body: "original",
      headers: { "x-amz-content-sha256": declared },
    });
    const res = await fetch(signed.url, {
      method: "PUT",
      headers: new Headers(signed.headers),
      body: "original",
    });
    expect(res.status).toBe(200);
  });

  it("lists a bucket through a header-signed bucket-level request", async () => {
    const res = await client.fetch(`${store.endpoint}/b1/?list-type=2`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<Key>a.txt</Key>");
  });

  it("aborts a multipart upload only when signed, and only for its own key (s3rver lacks the call)", async () => {
    const created = await client.fetch(`${store.endpoint}/b1/big.bin?uploads`, { method: "POST" });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await created.text())![1]!;
    const part = await client.fetch(`${store.endpoint}/b1/big.bin?partNumber=1&uploadId=${uploadId}`, {
      method: "PUT",
      body: "part one",
      headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" },
    });
    expect(part.status).toBe(200);
    const folder = join(dir, "objects", "b1", "._S3rver_uploads", uploadId);
    expect(existsSync(folder)).toBe(true);

    expect(
      (await fetch(`${store.endpoint}/b1/big.bin?uploadId=${uploadId}`, { method: "DELETE" })).status,
    ).toBe(403);
    const otherKey = await client.fetch(`${store.endpoint}/b1/other.bin?uploadId=${uploadId}`, {
      method: "DELETE",
    });
    expect(otherKey.status).toBe(404);
    expect(await otherKey.text()).toContain("NoSuchUpload");
    const traversal = await client.fetch(`${store.endpoint}/b1/big.bin?uploadId=..%2F..%2Fx`, {
      method: "DELETE",
    });
    expect(traversal.status).toBe(404);
    expect(existsSync(folder)).toBe(true);

    const aborted = await client.fetch(`${store.endpoint}/b1/big.bin?uploadId=${uploadId}`, {
      method: "DELETE",
    });
    expect(aborted.status).toBe(204);
    expect(existsSync(folder)).toBe(false);
    const again = await client.fetch(`${store.endpoint}/b1/big.bin?uploadId=${uploadId}`, {
      method: "DELETE",
    });
    expect(again.status).toBe(404);
  });
});
