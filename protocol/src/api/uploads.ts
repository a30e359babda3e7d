/**
 * Upload sessions (runs anywhere): the edge API's request/response schemas, the Privacy Plane's attested
 * ingest key, the session and status records kept in the object store, and the object keys they use.
 * The edge API writes sessions, the Privacy Plane writes status; neither record holds key material.
 */
import { z } from "zod";
import { DatasetFilePathSchema } from "../datasets/manifest";
import { AddressSchema, DatasetIdSchema, TimestampSchema } from "./common";
import { UploadAuthorizationSchema } from "./upload-authorization";

/** 16 random bytes as 32 lowercase hex characters. */
export const UploadIdSchema = z
  .string()
  .regex(/^[0-9a-f]{32}$/, "must be 32 lowercase hex characters")
  .meta({ description: "Upload session id", examples: ["0123456789abcdef0123456789abcdef"] });

export const UploadPathSchema = z.object({ uploadId: UploadIdSchema });
export const DatasetUploadPathSchema = z.object({ datasetId: DatasetIdSchema });

/** S3 multipart limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 parts. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PARTS = 10_000;
/** Objects up to this size are uploaded with one presigned PUT; larger ones in parts. */
export const SINGLE_PUT_MAX_BYTES = 64 * 1024 * 1024;
/** The part size the edge API picks (raised for very large files so that MAX_PARTS suffice). */
export const DEFAULT_PART_BYTES = 64 * 1024 * 1024;
/** One staged object (an upload envelope) may be at most 5 TiB, S3's object limit. */
export const MAX_STAGED_OBJECT_BYTES = 5 * 1024 ** 4;
/** Presigned URLs live this long: long enough for a 64 MiB part on a slow line, short enough to be useless later. */
export const PRESIGNED_URL_TTL_SECONDS = 900;
/** A session that is not completed within this time is abandoned. */
export const UPLOAD_SESSION_TTL_SECONDS = 24 * 3600;

const HexBytes = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes as lowercase hex`);

// --- the attested ingest key (Privacy Plane GET /v1/ingest-key, passed through by the edge API) ---

export const IngestKeySchema = z.object({
  /** X25519 public key the provider's client seals each file's content key to (HPKE, RFC 9180). */
  publicKey: HexBytes(32),
  keyVersion: z.number().int().min(1),
  /** The nonce bound into report_data (fresh per request). */
  nonce: HexBytes(32),
  /** buildReportData(INGEST_KEY_PUBLICATION, publicKey, nonce) as hex; the verifier recomputes it. */
  reportData: HexBytes(64),
  /** The quote as hex: Intel TDX, or (development deployments only) the insecure development format. */
  evidence: z
    .string()
    .regex(/^[0-9a-f]+$/)
    .max(64 * 1024),
  evidenceFormat: z.enum(["tdx", "insecure-dev"]),
  deployment: z.enum(["development", "production"]),
  issuedAt: TimestampSchema,
});
export type IngestKey = z.infer<typeof IngestKeySchema>;

// --- POST /v1/datasets/{datasetId}/uploads -------------------------------------------------------

export const CreateUploadFileSchema = z.object({
  /** Path of the file in the dataset, as consumers will see it under /data. */
  path: DatasetFilePathSchema,
  /** Size of the staged object: the upload envelope (docs/upload-envelope.md), not the plaintext. */
  size: z.number().int().min(1).max(MAX_STAGED_OBJECT_BYTES),
});

export const CreateUploadRequestSchema = z.object({
  /** The client's fresh nonce (32 bytes hex) for the ingest key's quote: proves the quote is fresh. */
  ingestKeyNonce: HexBytes(32).optional(),
  files: z
    .array(CreateUploadFileSchema)
    .min(1)
    .max(1000)
    .refine((files) => new Set(files.map((f) => f.path)).size === files.length, "paths must be unique"),
});
export type CreateUploadRequest = z.infer<typeof CreateUploadRequestSchema>;

export const PresignedPartSchema = z.object({
  partNumber: z.number().int().min(1).max(MAX_PARTS),
  url: z.url(),
});

export const UploadTargetSchema = z.object({
  index: z.number().int().min(0),
  path: DatasetFilePathSchema,
  size: z.number().int().min(1),
  /** Key in the staging bucket: `<datasetId>/<uploadId>/<index>`. */
  objectKey: z.string(),
  /** "put": one presigned PUT to `url`; "multipart": PUT each part to its URL, report the ETags on complete. */
  method: z.enum(["put", "multipart"]),
  url: z.url().optional(),
  partSize: z.number().int().min(MIN_PART_BYTES).optional(),
  parts: z.array(PresignedPartSchema).optional(),
});
export type UploadTarget = z.infer<typeof UploadTargetSchema>;

export const CreateUploadResponseSchema = z.object({
  uploadId: UploadIdSchema,
  datasetId: DatasetIdSchema,
  expiresAt: TimestampSchema,
  urlsExpireAt: TimestampSchema,
  files: z.array(UploadTargetSchema),
  ingestKey: IngestKeySchema,
});
export type CreateUploadResponse = z.infer<typeof CreateUploadResponseSchema>;

// --- POST /v1/uploads/{uploadId}/urls (fresh URLs for a resumed upload) ------------------------

export const RefreshUrlsRequestSchema = z.object({
  files: z
    .array(
      z.object({
        index: z.number().int().min(0),
        partNumbers: z.array(z.number().int().min(1).max(MAX_PARTS)).max(MAX_PARTS).optional(),
      }),
    )
    .min(1)
    .max(1000),
});
export type RefreshUrlsRequest = z.infer<typeof RefreshUrlsRequestSchema>;

export const RefreshUrlsResponseSchema = z.object({
  urlsExpireAt: TimestampSchema,
  files: z.array(UploadTargetSchema),
});
export type RefreshUrlsResponse = z.infer<typeof RefreshUrlsResponseSchema>;

// --- POST /v1/uploads/{uploadId}/complete ------------------------------------------------------

export const CompletedPartSchema = z.object({
  partNumber: z.number().int().min(1).max(MAX_PARTS),
  /** The ETag the object store answered the part's PUT with (quotes included or not). */
  etag: z.string().min(1).max(200),
});

export const CompleteUploadRequestSchema = z.object({
  files: z
    .array(
      z.object({
        index: z.number().int().min(0),
        parts: z.array(CompletedPartSchema).max(MAX_PARTS).optional(),
      }),
    )
    .max(1000)
    .default([]),
  /** The provider's EIP-712 signature over the session's files as staged (upload-authorization.ts). */
  authorization: UploadAuthorizationSchema,
});
export type CompleteUploadRequest = z.infer<typeof CompleteUploadRequestSchema>;

// --- status ----------------------------------------------------------------------------------

export const UPLOAD_STATES = ["open", "queued", "ingesting", "committed", "failed"] as const;
export type UploadState = (typeof UPLOAD_STATES)[number];

export const UploadStatusSchema = z.object({
  uploadId: UploadIdSchema,
  datasetId: DatasetIdSchema,
  state: z.enum(UPLOAD_STATES),
  createdAt: TimestampSchema,
  completedAt: TimestampSchema.nullable(),
  /** Set once committed: the on-chain dataset version and its manifest root. */
  version: z.number().int().min(1).nullable(),
  manifestRoot: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .nullable(),
  transactionHash: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type UploadStatus = z.infer<typeof UploadStatusSchema>;

// --- records in the object store -------------------------------------------------------------

/** `cce4long-staging/sessions/<uploadId>.json`, written by the edge API. */
export const UploadSessionRecordSchema = z.object({
  uploadId: UploadIdSchema,
  datasetId: DatasetIdSchema,
  provider: AddressSchema,
  createdAt: TimestampSchema,
  expiresAt: TimestampSchema,
  completedAt: TimestampSchema.nullable(),
  files: z.array(
    z.object({
      index: z.number().int().min(0),
      path: DatasetFilePathSchema,
      size: z.number().int().min(1),
      objectKey: z.string(),
      /** The object store's multipart upload id, for files uploaded in parts. */
      multipartUploadId: z.string().nullable(),
      partSize: z.number().int().nullable(),
    }),
  ),
  /** Set with completedAt: the provider's signature, passed through (the Privacy Plane checks it). */
  authorization: UploadAuthorizationSchema.nullable().default(null),
});
export type UploadSessionRecord = z.infer<typeof UploadSessionRecordSchema>;

/** `cce4long-datasets/<datasetId>/uploads/<uploadId>/status.json`, written by the Privacy Plane. */
export const IngestStatusRecordSchema = z.object({
  uploadId: UploadIdSchema,
  datasetId: DatasetIdSchema,
  state: z.enum(["ingesting", "committed", "failed"]),
  updatedAt: TimestampSchema,
  version: z.number().int().min(1).nullable(),
  manifestRoot: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .nullable(),
  transactionHash: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type IngestStatusRecord = z.infer<typeof IngestStatusRecordSchema>;

/** Every object key of an upload, in one place (staging bucket and datasets bucket). */
export const UPLOAD_KEYS = {
  /** staging: every session record (the staging sweeper lists them). */
  sessionsPrefix: "sessions/",
  /** staging: the session record. */
  session: (uploadId: string) => `sessions/${uploadId}.json`,
  /** staging: markers of completed sessions the staging sweeper found (or left) with nothing staged. */
  sweptPrefix: "swept/",
  /** staging: one such marker (empty); the sweeper no longer reads that session. */
  swept: (uploadId: string) => `swept/${uploadId}`,
  /** staging: everything staged for one upload (deleted after ingest). */
  stagedPrefix: (datasetId: string, uploadId: string) => `${datasetId}/${uploadId}/`,
  /** staging: the envelope of file `index`. */
  staged: (datasetId: string, uploadId: string, index: number) => `${datasetId}/${uploadId}/${index}`,
  /** datasets: everything one upload's version consists of. */
  versionPrefix: (datasetId: string, uploadId: string) => `${datasetId}/uploads/${uploadId}/`,
  /** datasets: the ciphertext of data file `index`. */
  dataFile: (datasetId: string, uploadId: string, index: number) =>
    `${datasetId}/uploads/${uploadId}/files/${index}.c4le`,
  /** datasets: an artefact ingest derived (fingerprints, explore sample). */
  derived: (datasetId: string, uploadId: string, name: string) =>
    `${datasetId}/uploads/${uploadId}/derived/${name}.c4le`,
  /** datasets: the manifest of this upload's version (written before the on-chain commit). */
  uploadManifest: (datasetId: string, uploadId: string) => `${datasetId}/uploads/${uploadId}/manifest.json`,
  /** datasets: the same manifest addressed by its root, for readers that start from the chain. */
  manifestByRoot: (datasetId: string, root: string) => `${datasetId}/manifests/${root.toLowerCase()}.json`,
  /** datasets: the ingest status record. */
  status: (datasetId: string, uploadId: string) => `${datasetId}/uploads/${uploadId}/status.json`,
} as const;
