/**
 * Released results (runs in workerd): the Result Manifest of a job whose result was released
 * on-chain, with short-lived presigned download URLs for it and its encrypted outputs. Only the
 * job's consumer may ask; only results the chain records as released are served.
 */
import {
  Cce4longError,
  JobPathSchema,
  JobResultSchema,
  JobStatus,
  RESULT_OBJECT_KEYS,
  StoredResultManifestSchema,
} from "@cce4long/protocol";
import { Hono } from "hono";
import type { Address } from "viem";
import { jobReader } from "../chain/job-reader";
import type { AppEnv } from "../env";
import { ensureOwnJob, statusName } from "../jobs/submit";
import { requireClaims, requireRole } from "../middleware/auth";
import { pathParams } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";
import { ResultsBucket } from "../results/results-bucket";

const read = defineOperation({
  method: "get",
  path: "/v1/jobs/{jobId}/result",
  operationId: "getJobResult",
  summary: "The released result: the signed Result Manifest and short-lived download URLs",
  description:
    "Only once the chain records JobResultReleased. The URLs are SigV4-presigned GETs, each for one " +
    "object, valid for RESULT_URL_TTL_SECONDS; the outputs are encrypted to the job's result key. " +
    "Check the manifest against resultManifestHash (on-chain) and the files against their sha256.",
  tag: "results",
  roles: ["consumer"],
  params: JobPathSchema,
  responses: { 200: { description: "The result", schema: JobResultSchema } },
  errors: ["JOB_NOT_FOUND", "JOB_INVALID_STATE", "CHAIN_UNREACHABLE", "RESULT_UNAVAILABLE"],
});

export const resultsOperations = [read];

export const resultsRoutes = new Hono<AppEnv>().get(
  honoPath(read),
  requireRole(["consumer"]),
  pathParams(JobPathSchema),
  async (c) => {
    const consumer = requireClaims(c).sub as Address;
    const { jobId } = c.req.valid("param");
    const config = c.var.config;
    const job = await ensureOwnJob(config, jobId, consumer);
    if (job.status !== JobStatus.ResultReleased) {
      throw new Cce4longError(
        "JOB_INVALID_STATE",
        `The job is ${statusName(job.status)}; a result is available once it is released`,
      );
    }
    const events = await jobReader(config).lifecycle(job.datasetId, jobId);
    const released = events.findLast((e) => e.eventName === "JobResultReleased");
    const manifestHash = (released?.args as { resultManifestHash?: string } | undefined)?.resultManifestHash;
    if (manifestHash === undefined) {
      throw new Cce4longError("CHAIN_UNREACHABLE", "The chain could not be read; try again", {
        detail: { jobId, reason: "status released but no JobResultReleased event" },
      });
    }

    const bucket = new ResultsBucket(config);
    const manifestKey = RESULT_OBJECT_KEYS.manifest(jobId);
    const stored = await bucket.readJson(manifestKey);
    const manifest = StoredResultManifestSchema.safeParse(stored);
    if (stored === null || !manifest.success || manifest.data.jobId !== jobId) {
      throw new Cce4longError("RESULT_UNAVAILABLE", "The result could not be read from storage; try again", {
        detail: { jobId, reason: stored === null ? "no manifest object" : "manifest does not match" },
      });
    }
    const ttl = config.RESULT_URL_TTL_SECONDS;
    const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
    const [manifestUrl, ...urls] = await Promise.all([
      bucket.presignGet(manifestKey, ttl),
      ...manifest.data.outputs.map((o) => bucket.presignGet(RESULT_OBJECT_KEYS.output(jobId, o.path), ttl)),
    ]);
    return c.json({
      jobId,
      datasetId: job.datasetId.toLowerCase(),
      resultManifestHash: manifestHash.toLowerCase(),
      manifest: stored as Record<string, unknown>,
      manifestUrl: manifestUrl!,
      downloads: manifest.data.outputs.map((o, i) => ({
        path: o.path,
        sha256: o.sha256,
        size: o.size,
        url: urls[i]!,
      })),
      expiresAt,
    });
  },
);
