/**
 * Algorithm records (runs in workerd): a signed-in consumer publishes the job spec it will request
 * on-chain; the edge validates it, computes its commitment and stores it content-addressed, so the
 * Privacy Plane (and anyone) can fetch it by the commitment the job request names and check it.
 */
import {
  Cce4longError,
  imageDigestBytes32,
  jobSpecSchema,
  PublishedSpecSchema,
  SpecPathSchema,
} from "@cce4long/protocol";
import { algorithmKeys } from "@cce4long/protocol/algorithms/algorithm-record";
import { canonicalJobSpec, jobSpecCommitment } from "@cce4long/protocol/jobs/job-spec";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { Hono } from "hono";
import type { Hex } from "viem";
import type { AppEnv } from "../env";
import { requireRole } from "../middleware/auth";
import { jsonBody, pathParams } from "../middleware/validate";
import { ObjectStoreClient } from "../objects/object-store-client";
import { defineOperation, honoPath } from "../openapi/operation";

const publish = defineOperation({
  method: "post",
  path: "/v1/algorithms/specs",
  operationId: "publishJobSpec",
  summary: "Publish a job spec; returns the commitment to name in the on-chain job request",
  description:
    "The spec is validated and stored under its commitment (keccak256 of its RFC 8785 canonical JSON). " +
    "Publishing the same spec again is harmless: the key is its content.",
  tag: "algorithms",
  roles: ["consumer"],
  body: jobSpecSchema,
  responses: { 201: { description: "Stored", schema: PublishedSpecSchema } },
  errors: ["OBJECT_STORE_FAILED"],
});

const read = defineOperation({
  method: "get",
  path: "/v1/algorithms/specs/{specCommitment}",
  operationId: "getJobSpec",
  summary: "A published job spec by its commitment (public); recompute the commitment to check it",
  tag: "algorithms",
  params: SpecPathSchema,
  responses: { 200: { description: "The spec, canonical JSON" } },
  errors: ["NOT_FOUND", "OBJECT_STORE_FAILED"],
});

export const algorithmsOperations = [publish, read];

export const algorithmsRoutes = new Hono<AppEnv>()
  .post(honoPath(publish), requireRole(["consumer"]), jsonBody(jobSpecSchema), async (c) => {
    const spec = c.req.valid("json");
    const specCommitment = jobSpecCommitment(spec);
    await new ObjectStoreClient(c.var.config).writeText(
      BUCKETS.algorithms,
      algorithmKeys.spec(specCommitment),
      canonicalJobSpec(spec),
    );
    return c.json(
      PublishedSpecSchema.parse({ specCommitment, imageDigest: imageDigestBytes32(spec.image.digest) }),
      201,
    );
  })
  .get(honoPath(read), pathParams(SpecPathSchema), async (c) => {
    const { specCommitment } = c.req.valid("param");
    const text = await new ObjectStoreClient(c.var.config).readText(
      BUCKETS.algorithms,
      algorithmKeys.spec(specCommitment as Hex),
    );
    // A stored object whose content does not hash to its key is not served: the store is untrusted.
    if (text === null || jobSpecCommitment(JSON.parse(text)) !== specCommitment) {
      throw new Cce4longError("NOT_FOUND", "No job spec with this commitment");
    }
    return c.body(text, 200, { "content-type": "application/json" });
  });
