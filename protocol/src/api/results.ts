/**
 * Released results through the edge API (runs anywhere): where the Privacy Plane stores a released
 * job's Result Manifest and encrypted outputs in the results bucket, the part of the manifest the
 * edge relies on, and the answer with short-lived download URLs.
 */
import { z } from "zod";
import { Bytes32Schema, DatasetIdSchema, TimestampSchema } from "./common";
import { JobIdSchema } from "./jobs";

/**
 * Object keys in the results bucket (BUCKETS.results), written by the Privacy Plane at release:
 * the manifest as JSON, and each output (encrypted to the consumer's result key) under outputs/.
 */
export const RESULT_OBJECT_KEYS = {
  manifest: (jobId: string) => `jobs/${jobId}/manifest.json`,
  output: (jobId: string, path: string) => `jobs/${jobId}/outputs/${path}`,
} as const;

/**
 * A relative output path (as the job wrote it under /output): no empty, `.` or `..` segments, no
 * backslashes or control characters, so the object key it makes cannot leave the job's prefix.
 */
export const ResultOutputPathSchema = z
  .string()
  .min(1)
  .max(512)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .regex(/^[^\\\u0000-\u001f\u007f]+$/, "must not contain backslashes or control characters")
  .refine(
    (p) => p.split("/").every((s) => s !== "" && s !== "." && s !== ".."),
    "must be a relative path without empty, . or .. segments",
  );

const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits");

/**
 * The fields of the stored Result Manifest the edge reads (the manifest itself is defined by the
 * Output Gate; every other field is passed through untouched for the consumer to verify offline).
 */
export const StoredResultManifestSchema = z.looseObject({
  jobId: JobIdSchema,
  outputs: z
    .array(
      z.looseObject({
        path: ResultOutputPathSchema,
        sha256: Sha256HexSchema.meta({ description: "sha256 of the stored (encrypted) file" }),
        size: z.number().int().nonnegative(),
      }),
    )
    .max(1000),
});

export const ResultDownloadSchema = z.object({
  path: ResultOutputPathSchema,
  sha256: Sha256HexSchema,
  size: z.number().int().nonnegative(),
  url: z.url().meta({ description: "Presigned GET URL (SigV4, query-signed), valid until expiresAt" }),
});

export const JobResultSchema = z.object({
  jobId: JobIdSchema,
  datasetId: DatasetIdSchema,
  resultManifestHash: Bytes32Schema.meta({
    description: "The hash recorded on-chain with JobResultReleased",
  }),
  manifest: z.record(z.string(), z.unknown()).meta({ description: "The signed Result Manifest as stored" }),
  manifestUrl: z.url().meta({ description: "Presigned GET URL of the manifest file itself" }),
  downloads: z.array(ResultDownloadSchema),
  expiresAt: TimestampSchema,
});
export type JobResult = z.infer<typeof JobResultSchema>;
