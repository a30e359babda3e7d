/**
 * Dataset policies (runs in workerd): the provider of a dataset stores its signed Output Gate policy or
 * Explore sample policy; anyone reads it back. The edge checks what it can (schema, size, signed by the
 * caller, the caller still the provider on-chain, version moves forward) but is not trusted: the Privacy
 * Plane verifies every document against the chain itself (docs/policies.md).
 */
import {
  Cce4longError,
  MAX_POLICY_BODY_BYTES,
  POLICY_SCHEMAS,
  type PolicyDocument,
  PolicyDocumentSchema,
  PolicyPathSchema,
  policyObjectKey,
  recoverPolicySigner,
  SetPolicyRequestSchema,
} from "@cce4long/protocol";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Address, Hex } from "viem";
import { hubReader } from "../chain/hub-reader";
import type { AppEnv } from "../env";
import { requireClaims, requireRole } from "../middleware/auth";
import { jsonBody, parseOrThrow, pathParams } from "../middleware/validate";
import { ObjectStoreClient } from "../objects/object-store-client";
import { defineOperation, honoPath } from "../openapi/operation";

/** A policy issued this far in the future is refused (clock skew allowance). */
const MAX_FUTURE_ISSUED_AT_SECONDS = 300;

const put = defineOperation({
  method: "put",
  path: "/v1/datasets/{datasetId}/policies/{kind}",
  operationId: "setDatasetPolicy",
  summary: "Set the dataset's Output Gate policy (kind gate) or Explore sample policy (kind explore-sample)",
  description:
    "The provider signs EIP-712 DatasetPolicy {datasetId, kind, policyHash, version, issuedAt} under the domain " +
    "{name: cce4long, version: 1, chainId, verifyingContract: hub}; policyHash is keccak256 of the policy's " +
    "RFC 8785 canonical JSON. The version must exceed the stored one. The Privacy Plane applies the gate policy " +
    "to the next output set and the sample policy at the next ingest.",
  tag: "policies",
  roles: ["provider"],
  params: PolicyPathSchema,
  body: SetPolicyRequestSchema,
  responses: { 200: { description: "Stored", schema: PolicyDocumentSchema } },
  errors: ["CONFLICT", "CHAIN_UNREACHABLE", "OBJECT_STORE_FAILED"],
});

const read = defineOperation({
  method: "get",
  path: "/v1/datasets/{datasetId}/policies/{kind}",
  operationId: "getDatasetPolicy",
  summary: "The dataset's signed policy document of this kind (public); verify it against the chain",
  description: "404 when the provider set none: the defaults apply.",
  tag: "policies",
  params: PolicyPathSchema,
  responses: { 200: { description: "The signed document", schema: PolicyDocumentSchema } },
  errors: ["NOT_FOUND", "OBJECT_STORE_FAILED"],
});

export const policiesOperations = [put, read];

/** The stored document, or null when there is none or what is stored is not a document. */
async function stored(store: ObjectStoreClient, key: string): Promise<PolicyDocument | null> {
  const text = await store.readText(BUCKETS.algorithms, key);
  if (text === null) return null;
  try {
    const parsed = PolicyDocumentSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const limitPolicyBody = bodyLimit({
  maxSize: MAX_POLICY_BODY_BYTES,
  onError: () => {
    throw new Cce4longError(
      "PAYLOAD_TOO_LARGE",
      `A policy request is at most ${MAX_POLICY_BODY_BYTES} bytes`,
    );
  },
});

export const policiesRoutes = new Hono<AppEnv>()
  .put(
    honoPath(put),
    requireRole(["provider"], { datasetParam: "datasetId" }),
    limitPolicyBody,
    pathParams(PolicyPathSchema),
    jsonBody(SetPolicyRequestSchema),
    async (c) => {
      const { datasetId, kind } = c.req.valid("param");
      const request = c.req.valid("json");
      const config = c.var.config;
      const provider = requireClaims(c).sub as Address;
      parseOrThrow(POLICY_SCHEMAS[kind], request.policy, "body/policy");
      if (request.issuedAt > Math.floor(Date.now() / 1000) + MAX_FUTURE_ISSUED_AT_SECONDS) {
        throw new Cce4longError("VALIDATION_FAILED", "issuedAt is in the future");
      }
      const signer = await recoverPolicySigner(
        { ...request, datasetId, kind },
        config.CHAIN_ID,
        config.HUB_ADDRESS as Hex,
      ).catch(() => null);
      if (signer === null || signer.toLowerCase() !== provider.toLowerCase()) {
        throw new Cce4longError("AUTH_FORBIDDEN", "The policy is not signed by the signed-in provider", {
          detail: { datasetId, kind, provider, signer },
        });
      }
      const onChain = await hubReader(config).dataset(datasetId as Hex);
      if (onChain === null || onChain.provider.toLowerCase() !== provider.toLowerCase()) {
        throw new Cce4longError("AUTH_FORBIDDEN", "The chain does not name this address as the provider", {
          detail: { datasetId, provider, onChain: onChain?.provider ?? null },
        });
      }
      const bucket = new ObjectStoreClient(config);
      const key = policyObjectKey(datasetId, kind);
      const current = await stored(bucket, key);
      if (current !== null && request.version <= current.version) {
        throw new Cce4longError(
          "CONFLICT",
          `The stored policy has version ${current.version}; sign a higher version`,
          { detail: { datasetId, kind, stored: current.version, sent: request.version } },
        );
      }
      const document: PolicyDocument = { ...request, datasetId, kind, signer: provider };
      await bucket.writeJson(BUCKETS.algorithms, key, document);
      return c.json(document);
    },
  )
  .get(honoPath(read), pathParams(PolicyPathSchema), async (c) => {
    const { datasetId, kind } = c.req.valid("param");
    const document = await stored(new ObjectStoreClient(c.var.config), policyObjectKey(datasetId, kind));
    if (document === null) {
      throw new Cce4longError("NOT_FOUND", `No ${kind} policy is set for this dataset: the defaults apply`);
    }
    return c.json(document);
  });
