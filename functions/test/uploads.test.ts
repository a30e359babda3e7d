/**
 * Upload sessions inside workerd: session creation, presigned URLs checked by a fake object store that
 * verifies SigV4 query signatures for real (method, bucket, key, expiry), completion, the ingest message
 * on Pub/Sub, status, and every authorization and validation failure. Real services: test/integration.
 */
import {
  type CreateUploadResponse,
  segmentedSha256,
  UPLOAD_AUTHORIZATION_TYPES,
  UPLOAD_AUTHORIZATION_VERSION,
  UPLOAD_KEYS,
  type UploadAuthorization,
  type UploadStatus,
  uploadAuthorizationDomain,
  uploadAuthorizationMessage,
} from "@cce4long/protocol";
import { TOPICS } from "@cce4long/protocol/queue/topics";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { AwsClient } from "aws4fetch";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HUB } from "./fake-chain";
import {
  alice,
  bearer,
  bob,
  CHAIN_ID,
  DATASET_1,
  DATASET_2,
  expectProblem,
  get,
  mintTestToken,
  post,
} from "./helpers";
import { WORKER_TEST_SECRETS } from "./test-secrets";

const STORE = "http://127.0.0.1:9000";
const PUBSUB = "http://127.0.0.1:8085";
const PLANE = "http://127.0.0.1:8790";
const MiB = 1024 * 1024;

const INGEST_KEY = {
  publicKey: "11".repeat(32),
  keyVersion: 1,
  nonce: "22".repeat(32),
  reportData: "33".repeat(64),
  evidence: "4443",
  evidenceFormat: "insecure-dev",
  deployment: "development",
  issuedAt: "2026-11-21T10:00:00.000Z",
};

/** A fake S3 that checks presigned URLs the way S3 does: re-sign and compare; plus header-signed calls. */
class FakeStore {
  objects = new Map<string, Uint8Array>();
  multipart = new Map<string, Map<number, Uint8Array>>();
  private aws = new AwsClient({
    accessKeyId: WORKER_TEST_SECRETS.OBJECT_STORE_ACCESS_KEY_ID,
    secretAccessKey: WORKER_TEST_SECRETS.OBJECT_STORE_SECRET_ACCESS_KEY,
    service: "s3",
    region: "us-east-1",
  });

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const presigned = url.searchParams.has("X-Amz-Signature");
    if (presigned) {
      if (!(await this.presignOk(request.method, url)))
        return new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 });
    } else if (!request.headers.get("authorization")?.startsWith("AWS4-HMAC-SHA256 ")) {
      return new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 });
    }
    const key = decodeURIComponent(url.pathname.slice(1));
    const uploadId = url.searchParams.get("uploadId");
    if (request.method === "POST" && url.searchParams.has("uploads")) {
      const id = `mp${this.multipart.size + 1}`;
      this.multipart.set(`${id}:${key}`, new Map());
      return new Response(
        `<InitiateMultipartUploadResult><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    if (request.method === "PUT" && uploadId !== null) {
      const parts = this.multipart.get(`${uploadId}:${key}`);
      if (!parts) return new Response("<Error><Code>NoSuchUpload</Code></Error>", { status: 404 });
      const body = new Uint8Array(await request.arrayBuffer());
      const n = Number(url.searchParams.get("partNumber"));
      parts.set(n, body);
      return new Response(null, { headers: { etag: `"p${n}-${body.length}"` } });
    }
    if (request.method === "POST" && uploadId !== null) {
      const parts = this.multipart.get(`${uploadId}:${key}`);
      const xml = await request.text();
      const listed = [...xml.matchAll(/<PartNumber>(\d+)<\/PartNumber><ETag>([^<]+)<\/ETag>/g)];
      const pieces = listed.map(([, n, etag]) => {
        const piece = parts?.get(Number(n));
        return piece && etag!.replace(/&quot;/g, '"') === `"p${n}-${piece.length}"` ? piece : undefined;
      });
      if (!parts || pieces.some((p) => p === undefined))
        return new Response("<Error><Code>InvalidPart</Code></Error>", { status: 400 });
      const all = new Uint8Array(pieces.reduce((n, p) => n + p!.length, 0));
      let at = 0;
      for (const p of pieces) {
        all.set(p!, at);
        at += p!.length;
      }
      this.objects.set(key, all);
      return new Response("<CompleteMultipartUploadResult/>");
    }
    if (request.method === "PUT") {
      this.objects.set(key, new Uint8Array(await request.arrayBuffer()));
      return new Response(null, { headers: { etag: '"x"' } });
    }
    const object = this.objects.get(key);
    if (object === undefined) return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404 });
    if (request.method === "HEAD")
      return new Response(null, { headers: { "content-length": String(object.length) } });
    return new Response(object);
  }

  json(key: string): unknown {
    return JSON.parse(new TextDecoder().decode(this.objects.get(key)));
  }

  private async presignOk(method: string, url: URL): Promise<boolean> {
    const date = url.searchParams.get("X-Amz-Date")!;
    const expires = Number(url.searchParams.get("X-Amz-Expires"));
    const at = Date.UTC(
      +date.slice(0, 4),
      +date.slice(4, 6) - 1,
      +date.slice(6, 8),
      +date.slice(9, 11),
      +date.slice(11, 13),
      +date.slice(13, 15),
    );
    if (Date.now() > at + expires * 1000) return false;
    const unsigned = new URL(url);
    for (const name of [
      "X-Amz-Signature",
      "X-Amz-Algorithm",
      "X-Amz-Credential",
      "X-Amz-Date",
      "X-Amz-SignedHeaders",
      "X-Amz-Content-Sha256",
    ]) {
      unsigned.searchParams.delete(name);
    }
    const again = await this.aws.sign(unsigned.toString(), {
      method,
      aws: { signQuery: true, datetime: date },
    });
    return new URL(again.url).searchParams.get("X-Amz-Signature") === url.searchParams.get("X-Amz-Signature");
  }
}

let store: FakeStore;
let published: { topic: string; message: Record<string, unknown>; attributes: Record<string, string> }[];
let planeUp: boolean;
let planeNonces: string[];

beforeEach(() => {
  store = new FakeStore();
  published = [];
  planeUp = true;
  planeNonces = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith(STORE)) return store.handle(request);
    if (request.url.startsWith(PUBSUB)) {
      const { messages } = (await request.json()) as {
        messages: { data: string; attributes: Record<string, string> }[];
      };
      const topic = /topics\/([^:]+):publish/.exec(request.url)![1]!;
      for (const m of messages)
        published.push({ topic, message: JSON.parse(atob(m.data)), attributes: m.attributes });
      return Response.json({ messageIds: [String(published.length)] });
    }
    if (request.url.startsWith(PLANE)) {
      if (!planeUp) throw new TypeError("connection refused");
      const nonce = new URL(request.url).searchParams.get("nonce")!;
      planeNonces.push(nonce);
      return Response.json({ ...INGEST_KEY, nonce });
    }
    return real(input, init);
  });
});
afterEach(() => vi.restoreAllMocks());

const provider = async (datasetId: string = DATASET_1, signer = alice) =>
  bearer(
    await mintTestToken({
      sub: signer.address,
      role: { kind: "provider", datasetId: datasetId as `0x${string}` },
    }),
  );

/** The provider's signature over what it staged (sizes from the session, hashes of `staged`). */
async function authorize(
  session: CreateUploadResponse,
  staged: Uint8Array[],
  options: { signer?: typeof alice; expiresAt?: number } = {},
): Promise<UploadAuthorization> {
  const files = await Promise.all(
    staged.map(async (bytes, index) => ({
      index,
      sha256: await segmentedSha256(bytes),
    })),
  );
  const expiresAt = options.expiresAt ?? Math.floor(Date.now() / 1000) + 3600;
  const message = uploadAuthorizationMessage(
    { datasetId: session.datasetId, uploadId: session.uploadId, files: session.files },
    { files, expiresAt },
  )!;
  const signature = await (options.signer ?? alice).signTypedData({
    domain: uploadAuthorizationDomain(CHAIN_ID, HUB),
    types: UPLOAD_AUTHORIZATION_TYPES,
    primaryType: "UploadAuthorization",
    message,
  });
  return { version: UPLOAD_AUTHORIZATION_VERSION, files, expiresAt, signature };
}

async function createSession(files = [{ path: "cohort.csv", size: 1000 }]) {
  const headers = await provider();
  const res = await post(
    `/v1/datasets/${DATASET_1}/uploads`,
    { files, ingestKeyNonce: "ab".repeat(32) },
    headers,
  );
  expect(res.status).toBe(201);
  return (await res.json()) as CreateUploadResponse;
}

describe("POST /v1/datasets/{id}/uploads", () => {
  it("returns one presigned PUT per small file, parts for a large one, and the attested ingest key for the client's nonce", async () => {
    const session = await createSession([
      { path: "cohort.csv", size: 1000 },
      { path: "big/scan.bin", size: 200 * MiB },
    ]);
    expect(session.uploadId).toMatch(/^[0-9a-f]{32}$/);
    expect(session.ingestKey).toMatchObject({ publicKey: INGEST_KEY.publicKey, nonce: "ab".repeat(32) });
    expect(planeNonces).toEqual(["ab".repeat(32)]);
    const [small, big] = session.files;
    expect(small).toMatchObject({ method: "put", objectKey: `${DATASET_1}/${session.uploadId}/0` });
    expect(new URL(small!.url!).pathname).toBe(`/${BUCKETS.staging}/${DATASET_1}/${session.uploadId}/0`);
    expect(new URL(small!.url!).searchParams.get("X-Amz-Expires")).toBe("900");
    expect(big).toMatchObject({ method: "multipart", partSize: 64 * MiB });
    expect(big!.parts!.map((p) => p.partNumber)).toEqual([1, 2, 3, 4]);
    const record = store.json(`${BUCKETS.staging}/${UPLOAD_KEYS.session(session.uploadId)}`);
    expect(record).toMatchObject({ datasetId: DATASET_1, provider: alice.address, completedAt: null });
  });

  it("makes URLs that work only for their own key, method and time", async () => {
    const session = await createSession();
    const url = session.files[0]!.url!;
    expect((await fetch(url, { method: "PUT", body: "x".repeat(1000) })).status).toBe(200);
    const otherKey = url.replace(`/${session.uploadId}/0?`, `/${session.uploadId}/1?`);
    expect((await fetch(otherKey, { method: "PUT", body: "x" })).status).toBe(403);
    const otherDataset = url.replace(DATASET_1, DATASET_2);
    expect((await fetch(otherDataset, { method: "PUT", body: "x" })).status).toBe(403);
    expect((await fetch(url)).status).toBe(403);
    vi.useFakeTimers({ now: Date.now() + 901_000, toFake: ["Date"] });
    try {
      expect((await fetch(url, { method: "PUT", body: "x" })).status).toBe(403);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses callers that are not this dataset's provider", async () => {
    const body = { files: [{ path: "a.csv", size: 10 }] };
    await expectProblem(await post(`/v1/datasets/${DATASET_1}/uploads`, body), 401, "AUTH_REQUIRED");
    await expectProblem(
      await post(`/v1/datasets/${DATASET_1}/uploads`, body, bearer(await mintTestToken())),
      403,
      "AUTH_FORBIDDEN",
    );
    await expectProblem(
      await post(`/v1/datasets/${DATASET_1}/uploads`, body, await provider(DATASET_2)),
      403,
      "AUTH_FORBIDDEN",
    );
    const reviewer = bearer(await mintTestToken({ role: { kind: "reviewer", datasetId: DATASET_1 } }));
    await expectProblem(
      await post(`/v1/datasets/${DATASET_1}/uploads`, body, reviewer),
      403,
      "AUTH_FORBIDDEN",
    );
  });

  it("validates the files and the body", async () => {
    const at = `/v1/datasets/${DATASET_1}/uploads`;
    for (const files of [
      [],
      [{ path: "../etc/passwd", size: 1 }],
      [{ path: "a", size: 0 }],
      [
        { path: "a", size: 1 },
        { path: "a", size: 2 },
      ],
      [{ path: "/abs", size: 1 }],
    ]) {
      await expectProblem(await post(at, { files }, await provider()), 422, "VALIDATION_FAILED");
    }
    await expectProblem(
      await post(at, { files: [{ path: "a", size: 1 }], ingestKeyNonce: "xyz" }, await provider()),
      422,
      "VALIDATION_FAILED",
    );
    await expectProblem(await post(at, "{not json", await provider()), 400, "BAD_REQUEST");
    await expectProblem(
      await post(`/v1/datasets/0x1234/uploads`, { files: [{ path: "a", size: 1 }] }, await provider()),
      403,
      "AUTH_FORBIDDEN",
    );
    expect(store.objects.size).toBe(0);
  });

  it("answers PRIVACY_PLANE_UNAVAILABLE and creates nothing when the ingest key cannot be fetched", async () => {
    planeUp = false;
    await expectProblem(
      await post(`/v1/datasets/${DATASET_1}/uploads`, { files: [{ path: "a", size: 1 }] }, await provider()),
      503,
      "PRIVACY_PLANE_UNAVAILABLE",
    );
    expect(store.objects.size).toBe(0);
  });
});

describe("POST /v1/uploads/{id}/complete and GET /v1/uploads/{id}", () => {
  it("refuses to complete before every file is uploaded, then queues exactly the ingest message", async () => {
    const session = await createSession();
    const body = new TextEncoder().encode("y".repeat(1000));
    const authorization = await authorize(session, [body]);
    await expectProblem(
      await post(`/v1/uploads/${session.uploadId}/complete`, { authorization }, await provider()),
      409,
      "UPLOAD_STATE_INVALID",
    );
    expect(published).toEqual([]);
    let status = (await (
      await get(`/v1/uploads/${session.uploadId}`, await provider())
    ).json()) as UploadStatus;
    expect(status.state).toBe("open");

    await fetch(session.files[0]!.url!, { method: "PUT", body });
    const res = await post(`/v1/uploads/${session.uploadId}/complete`, { authorization }, await provider());
    expect(res.status).toBe(202);
    expect(((await res.json()) as UploadStatus).state).toBe("queued");
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      topic: TOPICS.ingest,
      message: {
        type: "ingest.requested",
        version: 1,
        uploadId: session.uploadId,
        datasetId: DATASET_1,
        provider: alice.address,
      },
      attributes: { "cce4long-upload-id": session.uploadId },
    });
    // The signature is passed through to the Privacy Plane unchanged, in the session record.
    expect(store.json(`${BUCKETS.staging}/${UPLOAD_KEYS.session(session.uploadId)}`)).toMatchObject({
      authorization,
    });
    // Completing again re-queues (idempotent ingest) but never reopens; URLs cannot be refreshed any more.
    expect(
      (await post(`/v1/uploads/${session.uploadId}/complete`, { authorization }, await provider())).status,
    ).toBe(202);
    expect(published).toHaveLength(2);
    await expectProblem(
      await post(`/v1/uploads/${session.uploadId}/urls`, { files: [{ index: 0 }] }, await provider()),
      409,
      "UPLOAD_STATE_INVALID",
    );

    store.objects.set(
      `${BUCKETS.datasets}/${UPLOAD_KEYS.status(DATASET_1, session.uploadId)}`,
      new TextEncoder().encode(
        JSON.stringify({
          uploadId: session.uploadId,
          datasetId: DATASET_1,
          state: "committed",
          updatedAt: "2026-11-21T10:00:00.000Z",
          version: 3,
          manifestRoot: `0x${"ee".repeat(32)}`,
          transactionHash: `0x${"ff".repeat(32)}`,
          error: null,
        }),
      ),
    );
    status = (await (await get(`/v1/uploads/${session.uploadId}`, await provider())).json()) as UploadStatus;
    expect(status).toMatchObject({ state: "committed", version: 3, manifestRoot: `0x${"ee".repeat(32)}` });
    expect(
      (await post(`/v1/uploads/${session.uploadId}/complete`, { authorization }, await provider())).status,
    ).toBe(202);
    expect(published).toHaveLength(2);
  });

  it("refuses completion without the provider's signature, by another signer, expired, or too long-lived", async () => {
    const session = await createSession();
    const body = new TextEncoder().encode("z".repeat(1000));
    await fetch(session.files[0]!.url!, { method: "PUT", body });
    const at = `/v1/uploads/${session.uploadId}/complete`;
    await expectProblem(await post(at, {}, await provider()), 422, "VALIDATION_FAILED");
    const now = Math.floor(Date.now() / 1000);
    for (const options of [{ signer: bob }, { expiresAt: now - 1 }, { expiresAt: now + 3 * 86_400 }]) {
      const authorization = await authorize(session, [body], options);
      await expectProblem(
        await post(at, { authorization }, await provider()),
        422,
        "UPLOAD_SIGNATURE_INVALID",
      );
    }
    // A version-1 statement (no version: the retired whole-envelope SHA-256) is refused and says so.
    const { version: _, ...versionOne } = await authorize(session, [body]);
    const old = await expectProblem(
      await post(at, { authorization: versionOne }, await provider()),
      422,
      "UPLOAD_SIGNATURE_INVALID",
    );
    expect(JSON.stringify(old)).toMatch(/retired version 1/);
    // Hashes for a file list the session does not have.
    const twoFiles = await authorize(session, [body]);
    twoFiles.files.push({ index: 1, sha256: "ab".repeat(32) });
    await expectProblem(
      await post(at, { authorization: twoFiles }, await provider()),
      422,
      "UPLOAD_SIGNATURE_INVALID",
    );
    expect(published).toEqual([]);
    expect(store.json(`${BUCKETS.staging}/${UPLOAD_KEYS.session(session.uploadId)}`)).toMatchObject({
      completedAt: null,
    });
    expect(
      (await post(at, { authorization: await authorize(session, [body]) }, await provider())).status,
    ).toBe(202);
  });

  it("completes a multipart file only with the ETag of every part", async () => {
    const session = await createSession([{ path: "big.bin", size: 70 * MiB }]);
    const file = session.files[0]!;
    const etags = [];
    for (const part of file.parts!) {
      const size = part.partNumber === 1 ? 64 * MiB : 6 * MiB;
      const res = await fetch(part.url, { method: "PUT", body: new Uint8Array(size) });
      etags.push({ partNumber: part.partNumber, etag: res.headers.get("etag")! });
    }
    const authorization = await authorize(session, [new Uint8Array(70 * MiB)]);
    const at = `/v1/uploads/${session.uploadId}/complete`;
    await expectProblem(
      await post(at, { files: [{ index: 0, parts: etags.slice(0, 1) }], authorization }, await provider()),
      409,
      "UPLOAD_STATE_INVALID",
    );
    expect(
      (await post(at, { files: [{ index: 0, parts: etags }], authorization }, await provider())).status,
    ).toBe(202);
    expect(store.objects.get(`${BUCKETS.staging}/${file.objectKey}`)?.length).toBe(70 * MiB);
  });

  it("refreshes URLs of an open session for chosen parts", async () => {
    const session = await createSession([{ path: "big.bin", size: 200 * MiB }]);
    const res = await post(
      `/v1/uploads/${session.uploadId}/urls`,
      { files: [{ index: 0, partNumbers: [3] }] },
      await provider(),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { files: CreateUploadResponse["files"] };
    expect(body.files[0]!.parts!.map((p) => p.partNumber)).toEqual([3]);
    await expectProblem(
      await post(
        `/v1/uploads/${session.uploadId}/urls`,
        { files: [{ index: 0, partNumbers: [9] }] },
        await provider(),
      ),
      422,
      "VALIDATION_FAILED",
    );
    await expectProblem(
      await post(`/v1/uploads/${session.uploadId}/urls`, { files: [{ index: 5 }] }, await provider()),
      422,
      "VALIDATION_FAILED",
    );
  });

  it("hides a session from every other caller: another provider, another dataset's provider, a consumer", async () => {
    const session = await createSession();
    const body = new TextEncoder().encode("y".repeat(1000));
    await fetch(session.files[0]!.url!, { method: "PUT", body });
    const authorization = await authorize(session, [body]);
    for (const headers of [await provider(DATASET_1, bob), await provider(DATASET_2)]) {
      await expectProblem(await get(`/v1/uploads/${session.uploadId}`, headers), 404, "NOT_FOUND");
      await expectProblem(
        await post(`/v1/uploads/${session.uploadId}/complete`, { authorization }, headers),
        404,
        "NOT_FOUND",
      );
      await expectProblem(
        await post(`/v1/uploads/${session.uploadId}/urls`, { files: [{ index: 0 }] }, headers),
        404,
        "NOT_FOUND",
      );
    }
    await expectProblem(
      await get(`/v1/uploads/${session.uploadId}`, bearer(await mintTestToken())),
      403,
      "AUTH_FORBIDDEN",
    );
    await expectProblem(await get(`/v1/uploads/${session.uploadId}`), 401, "AUTH_REQUIRED");
    await expectProblem(await get(`/v1/uploads/${"0".repeat(32)}`, await provider()), 404, "NOT_FOUND");
    await expectProblem(await get(`/v1/uploads/not-an-id`, await provider()), 422, "VALIDATION_FAILED");
    expect(published).toEqual([]);
  });
});
