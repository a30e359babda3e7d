/**
 * Upload sessions (runs in workerd): a provider of a dataset gets presigned PUT URLs (one object key
 * each, short-lived; multipart for large files) plus the Privacy Plane's attested ingest key; completing
 * the session queues ingest on Pub/Sub; status is read from the session and ingest records. The edge
 * never sees plaintext: what is uploaded is HPKE ciphertext for the Privacy Plane (docs/upload-envelope.md).
 */
import {
  Cce4longError,
  CompleteUploadRequestSchema,
  CreateUploadRequestSchema,
  CreateUploadResponseSchema,
  checkUploadAuthorization,
  DatasetUploadPathSchema,
  DEFAULT_PART_BYTES,
  IngestKeySchema,
  IngestStatusRecordSchema,
  MAX_PARTS,
  PRESIGNED_URL_TTL_SECONDS,
  RefreshUrlsRequestSchema,
  RefreshUrlsResponseSchema,
  SINGLE_PUT_MAX_BYTES,
  UPLOAD_KEYS,
  UPLOAD_SESSION_TTL_SECONDS,
  type UploadAuthorization,
  UploadPathSchema,
  type UploadSessionRecord,
  UploadSessionRecordSchema,
  type UploadStatus,
  UploadStatusSchema,
  type UploadTarget,
} from "@cce4long/protocol";
import {
  INGEST_MESSAGE_DEDUP_ATTRIBUTE,
  type IngestRequestedMessage,
} from "@cce4long/protocol/queue/messages";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { type Context, Hono } from "hono";
import type { Hex } from "viem";
import type { AppEnv } from "../env";
import { requireClaims, requireRole } from "../middleware/auth";
import { jsonBody, pathParams } from "../middleware/validate";
import { ObjectStoreClient } from "../objects/object-store-client";
import { defineOperation, honoPath } from "../openapi/operation";
import { privacyPlane } from "../privacy-plane/client";
import { pubsubPublisher } from "../pubsub/publisher";

const create = defineOperation({
  method: "post",
  path: "/v1/datasets/{datasetId}/uploads",
  operationId: "createUpload",
  summary: "Start an upload session: presigned URLs for each file and the attested ingest key",
  description:
    "Encrypt each file to the ingest key (after verifying its attestation) as an upload envelope, PUT it to " +
    "its URL (or its parts to their URLs), then complete the session. URLs expire after 15 minutes.",
  tag: "uploads",
  roles: ["provider"],
  params: DatasetUploadPathSchema,
  body: CreateUploadRequestSchema,
  responses: { 201: { description: "The session", schema: CreateUploadResponseSchema } },
  errors: ["PRIVACY_PLANE_UNAVAILABLE", "OBJECT_STORE_FAILED"],
});

const refresh = defineOperation({
  method: "post",
  path: "/v1/uploads/{uploadId}/urls",
  operationId: "refreshUploadUrls",
  summary: "Fresh presigned URLs for files or parts of an open session (to resume an upload)",
  tag: "uploads",
  roles: ["provider"],
  params: UploadPathSchema,
  body: RefreshUrlsRequestSchema,
  responses: { 200: { description: "The URLs", schema: RefreshUrlsResponseSchema } },
  errors: ["NOT_FOUND", "UPLOAD_STATE_INVALID", "OBJECT_STORE_FAILED"],
});

const complete = defineOperation({
  method: "post",
  path: "/v1/uploads/{uploadId}/complete",
  operationId: "completeUpload",
  summary: "Finish the uploads (multipart ETags for large files) and queue ingest",
  description:
    "`authorization` is the provider's EIP-712 UploadAuthorization over the dataset, this session and each " +
    "staged envelope's path, size and SHA-256 (docs/upload-envelope.md section 5). It is checked here against " +
    "the signed-in provider and stored unchanged; the Privacy Plane ingests only if the dataset's on-chain " +
    "provider signed it and the staged bytes match.",
  tag: "uploads",
  roles: ["provider"],
  params: UploadPathSchema,
  body: CompleteUploadRequestSchema,
  responses: { 202: { description: "Queued for ingest", schema: UploadStatusSchema } },
  errors: [
    "NOT_FOUND",
    "UPLOAD_STATE_INVALID",
    "UPLOAD_SIGNATURE_INVALID",
    "OBJECT_STORE_FAILED",
    "QUEUE_UNAVAILABLE",
  ],
});

const status = defineOperation({
  method: "get",
  path: "/v1/uploads/{uploadId}",
  operationId: "getUpload",
  summary: "The state of an upload session: open, queued, ingesting, committed (with the version) or failed",
  tag: "uploads",
  roles: ["provider"],
  params: UploadPathSchema,
  responses: { 200: { description: "The status", schema: UploadStatusSchema } },
  errors: ["NOT_FOUND", "OBJECT_STORE_FAILED"],
});

export const uploadsOperations = [create, refresh, complete, status];

/** Part size so that MAX_PARTS parts hold the object, in whole MiB, at least the default. */
export function partSizeFor(size: number): number {
  const MiB = 1024 * 1024;
  return Math.max(DEFAULT_PART_BYTES, Math.ceil(size / MAX_PARTS / MiB) * MiB);
}

function randomUploadId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

function staging(c: Context<AppEnv>): ObjectStoreClient {
  return new ObjectStoreClient(c.var.config);
}

/** The session, if the caller is the provider token of its dataset; NOT_FOUND otherwise (no probing). */
async function ownSession(c: Context<AppEnv>, uploadId: string): Promise<UploadSessionRecord> {
  const claims = requireClaims(c);
  const raw = await staging(c).readJson(BUCKETS.staging, UPLOAD_KEYS.session(uploadId));
  const parsed = raw === null ? undefined : UploadSessionRecordSchema.safeParse(raw);
  if (!parsed?.success) throw new Cce4longError("NOT_FOUND", "No upload session with this id");
  const session = parsed.data;
  if (
    claims.role.kind !== "provider" ||
    claims.role.datasetId !== session.datasetId ||
    claims.sub.toLowerCase() !== session.provider.toLowerCase()
  ) {
    throw new Cce4longError("NOT_FOUND", "No upload session with this id", {
      detail: { reason: "another provider's session", uploadId },
    });
  }
  return session;
}

async function targetsFor(
  store: ObjectStoreClient,
  session: UploadSessionRecord,
  wanted?: Map<number, number[] | undefined>,
): Promise<UploadTarget[]> {
  const targets: UploadTarget[] = [];
  for (const file of session.files) {
    if (wanted !== undefined && !wanted.has(file.index)) continue;
    const base = { index: file.index, path: file.path, size: file.size, objectKey: file.objectKey };
    if (file.multipartUploadId === null) {
      const url = await store.presignPut(BUCKETS.staging, file.objectKey, PRESIGNED_URL_TTL_SECONDS);
      targets.push({ ...base, method: "put", url });
      continue;
    }
    const partSize = file.partSize!;
    const count = Math.ceil(file.size / partSize);
    const numbers = wanted?.get(file.index) ?? Array.from({ length: count }, (_, i) => i + 1);
    const parts = [];
    for (const partNumber of numbers) {
      if (partNumber > count)
        throw new Cce4longError("VALIDATION_FAILED", `file ${file.index} has ${count} parts`);
      parts.push({
        partNumber,
        url: await store.presignPart(
          BUCKETS.staging,
          file.objectKey,
          file.multipartUploadId,
          partNumber,
          PRESIGNED_URL_TTL_SECONDS,
        ),
      });
    }
    targets.push({ ...base, method: "multipart", partSize, parts });
  }
  return targets;
}

function ensureOpen(session: UploadSessionRecord, now: number): void {
  if (session.completedAt !== null)
    throw new Cce4longError("UPLOAD_STATE_INVALID", "This upload session is already completed");
  if (Date.parse(session.expiresAt) <= now)
    throw new Cce4longError("UPLOAD_STATE_INVALID", "This upload session has expired");
}

/**
 * Early refusal of a signature the Privacy Plane would refuse anyway (wrong signer, files, expiry), so
 * the provider learns at once and nothing is queued. The Privacy Plane re-checks against the chain and
 * the staged bytes; this check is a courtesy, not the control.
 */
async function ensureSignedBySessionProvider(
  c: Context<AppEnv>,
  session: UploadSessionRecord,
  authorization: UploadAuthorization,
): Promise<void> {
  const config = c.var.config;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const check = await checkUploadAuthorization(session, authorization, {
    provider: session.provider,
    chainId: config.CHAIN_ID,
    hub: config.HUB_ADDRESS as Hex,
    nowSeconds,
  });
  if (!check.ok) throw new Cce4longError("UPLOAD_SIGNATURE_INVALID", check.reason);
}

async function statusOf(store: ObjectStoreClient, session: UploadSessionRecord): Promise<UploadStatus> {
  const base: UploadStatus = {
    uploadId: session.uploadId,
    datasetId: session.datasetId,
    state: session.completedAt === null ? "open" : "queued",
    createdAt: session.createdAt,
    completedAt: session.completedAt,
    version: null,
    manifestRoot: null,
    transactionHash: null,
    error: null,
  };
  if (session.completedAt === null) return base;
  const raw = await store.readJson(BUCKETS.datasets, UPLOAD_KEYS.status(session.datasetId, session.uploadId));
  const record = raw === null ? undefined : IngestStatusRecordSchema.safeParse(raw);
  if (!record?.success) return base;
  const { state, version, manifestRoot, transactionHash, error } = record.data;
  return { ...base, state, version, manifestRoot, transactionHash, error };
}

async function publishIngest(
  c: Context<AppEnv>,
  session: UploadSessionRecord,
  completedAt: string,
): Promise<void> {
  const message: IngestRequestedMessage = {
    type: "ingest.requested",
    version: 1,
    uploadId: session.uploadId,
    datasetId: session.datasetId,
    provider: session.provider,
    submittedAt: completedAt,
  };
  await pubsubPublisher(c.var.config).publish(c.var.config.PUBSUB_INGEST_TOPIC, message, {
    [INGEST_MESSAGE_DEDUP_ATTRIBUTE]: session.uploadId,
  });
}

export const uploadsRoutes = new Hono<AppEnv>()
  .post(
    honoPath(create),
    requireRole(["provider"], { datasetParam: "datasetId" }),
    pathParams(DatasetUploadPathSchema),
    jsonBody(CreateUploadRequestSchema),
    async (c) => {
      const claims = requireClaims(c);
      const { datasetId } = c.req.valid("param");
      const body = c.req.valid("json");
      const nonce = body.ingestKeyNonce ?? randomUploadId() + randomUploadId();
      const ingestKey = await privacyPlane(c.var.config).get(
        `/v1/ingest-key?nonce=${nonce}`,
        IngestKeySchema,
        {
          caller: claims.sub,
          requestId: c.var.requestId,
        },
      );
      const store = staging(c);
      const uploadId = randomUploadId();
      const now = Date.now();
      const session: UploadSessionRecord = {
        uploadId,
        datasetId,
        provider: claims.sub,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + UPLOAD_SESSION_TTL_SECONDS * 1000).toISOString(),
        completedAt: null,
        files: [],
        authorization: null,
      };
      for (const [index, file] of body.files.entries()) {
        const objectKey = UPLOAD_KEYS.staged(datasetId, uploadId, index);
        const multipart = file.size > SINGLE_PUT_MAX_BYTES;
        session.files.push({
          index,
          path: file.path,
          size: file.size,
          objectKey,
          multipartUploadId: multipart ? await store.createMultipart(BUCKETS.staging, objectKey) : null,
          partSize: multipart ? partSizeFor(file.size) : null,
        });
      }
      await store.writeJson(BUCKETS.staging, UPLOAD_KEYS.session(uploadId), session);
      return c.json(
        {
          uploadId,
          datasetId,
          expiresAt: session.expiresAt,
          urlsExpireAt: new Date(now + PRESIGNED_URL_TTL_SECONDS * 1000).toISOString(),
          files: await targetsFor(store, session),
          ingestKey,
        },
        201,
      );
    },
  )
  .post(
    honoPath(refresh),
    requireRole(["provider"]),
    pathParams(UploadPathSchema),
    jsonBody(RefreshUrlsRequestSchema),
    async (c) => {
      const session = await ownSession(c, c.req.valid("param").uploadId);
      ensureOpen(session, Date.now());
      const wanted = new Map(c.req.valid("json").files.map((f) => [f.index, f.partNumbers] as const));
      for (const index of wanted.keys()) {
        if (!session.files.some((f) => f.index === index))
          throw new Cce4longError("VALIDATION_FAILED", `no file ${index} in this session`);
      }
      return c.json({
        urlsExpireAt: new Date(Date.now() + PRESIGNED_URL_TTL_SECONDS * 1000).toISOString(),
        files: await targetsFor(staging(c), session, wanted),
      });
    },
  )
  .post(
    honoPath(complete),
    requireRole(["provider"]),
    pathParams(UploadPathSchema),
    jsonBody(CompleteUploadRequestSchema),
    async (c) => {
      const session = await ownSession(c, c.req.valid("param").uploadId);
      const store = staging(c);
      if (session.completedAt !== null) {
        // A repeated complete (e.g. after a failed publish) queues again; ingest is idempotent by upload id.
        const current = await statusOf(store, session);
        if (current.state === "queued") await publishIngest(c, session, session.completedAt);
        return c.json(current, 202);
      }
      ensureOpen(session, Date.now());
      const body = c.req.valid("json");
      await ensureSignedBySessionProvider(c, session, body.authorization);
      const reported = new Map(body.files.map((f) => [f.index, f.parts] as const));
      for (const file of session.files) {
        if (file.multipartUploadId !== null) {
          const parts = reported.get(file.index);
          const expected = Math.ceil(file.size / file.partSize!);
          if (
            parts === undefined ||
            parts.length !== expected ||
            new Set(parts.map((p) => p.partNumber)).size !== expected
          ) {
            throw new Cce4longError(
              "UPLOAD_STATE_INVALID",
              `file ${file.index} needs the ETags of all its ${expected} parts`,
            );
          }
          await store.completeMultipart(BUCKETS.staging, file.objectKey, file.multipartUploadId, parts);
        }
        const size = await store.size(BUCKETS.staging, file.objectKey);
        if (size !== file.size) {
          throw new Cce4longError("UPLOAD_STATE_INVALID", `file ${file.index} is not uploaded completely`, {
            detail: { expected: file.size, found: size },
          });
        }
      }
      const completed: UploadSessionRecord = {
        ...session,
        completedAt: new Date().toISOString(),
        authorization: body.authorization,
      };
      await store.writeJson(BUCKETS.staging, UPLOAD_KEYS.session(session.uploadId), completed);
      await publishIngest(c, session, completed.completedAt!);
      return c.json(await statusOf(store, completed), 202);
    },
  )
  .get(honoPath(status), requireRole(["provider"]), pathParams(UploadPathSchema), async (c) => {
    const session = await ownSession(c, c.req.valid("param").uploadId);
    return c.json(await statusOf(staging(c), session));
  });
