/**
 * Webhooks (runs in workerd): consumers and providers register, list and delete endpoints; events
 * reach delivery endpoints signed per Standard Webhooks (webhooks/endpoint-store.ts); a signed POST
 * to a trigger endpoint submits a job as its owner; and the Privacy Plane reports job and review
 * events on an internal endpoint authenticated the same way (PRIVACY_PLANE_EVENTS_SECRET).
 */
import {
  Cce4longError,
  CreatedWebhookSchema,
  CreateWebhookRequestSchema,
  InternalEventResponseSchema,
  InternalEventSchema,
  JobSubmissionSchema,
  ListWebhooksResponseSchema,
  type RoleKind,
  TriggerRequestSchema,
  type WebhookEndpoint,
  WebhookEndpointPathSchema,
} from "@cce4long/protocol";
import type { Context } from "hono";
import { Hono } from "hono";
import type { Address } from "viem";
import type { AppEnv } from "../env";
import { submitJob } from "../jobs/submit";
import { requireClaims, requireRole } from "../middleware/auth";
import { jsonBody, parseOrThrow, pathParams } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";
import { type DirectoryEntry, directoryStub } from "../webhooks/directory";
import { emitJobEvent, fanOut } from "../webhooks/emit";
import { type EndpointConfig, endpointStub, PRIVACY_PLANE_EVENTS_CHANNEL } from "../webhooks/endpoint-store";
import { newWebhookSecret, verifyWebhook, WEBHOOK_HEADERS } from "../webhooks/signature";
import { checkDeliveryUrl } from "../webhooks/url-policy";

const OWNER_ROLES: RoleKind[] = ["consumer", "provider"];

const create = defineOperation({
  method: "post",
  path: "/v1/webhooks",
  operationId: "createWebhook",
  summary: "Register a delivery endpoint (job and review events) or a trigger endpoint (starts jobs)",
  description:
    "Delivery: events matching `events` are POSTed to `url`, signed per Standard Webhooks (webhook-id, " +
    "webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>) with the returned " +
    "secret, and retried with exponential backoff (5 s, x4, up to 8 attempts). Consumers get their jobs' " +
    "events; providers (token for a dataset) that dataset's. Trigger (consumers): POST a signed " +
    "{jobId} to triggerPath to submit that job. At most 20 endpoints per address.",
  tag: "webhooks",
  roles: OWNER_ROLES,
  body: CreateWebhookRequestSchema,
  responses: {
    201: { description: "The endpoint, with its secret (shown once)", schema: CreatedWebhookSchema },
  },
  errors: ["CONFLICT"],
});

const list = defineOperation({
  method: "get",
  path: "/v1/webhooks",
  operationId: "listWebhooks",
  summary: "The caller's endpoints for its current role (no secrets)",
  tag: "webhooks",
  roles: OWNER_ROLES,
  responses: { 200: { description: "The endpoints", schema: ListWebhooksResponseSchema } },
});

const remove = defineOperation({
  method: "delete",
  path: "/v1/webhooks/{endpointId}",
  operationId: "deleteWebhook",
  summary: "Delete one of the caller's endpoints; pending deliveries are dropped",
  tag: "webhooks",
  roles: OWNER_ROLES,
  params: WebhookEndpointPathSchema,
  responses: { 204: { description: "Deleted" } },
  errors: ["NOT_FOUND"],
});

const trigger = defineOperation({
  method: "post",
  path: "/v1/webhooks/trigger/{endpointId}",
  operationId: "triggerJob",
  summary: "Submit a job from a signed webhook (Standard Webhooks, the trigger endpoint's secret)",
  description:
    "No bearer token: the signature is the authentication. The timestamp must be within 5 minutes and " +
    "each webhook-id is accepted once. The job is submitted as the endpoint's owner, with the same checks " +
    "and the same idempotent answer as POST /v1/jobs.",
  tag: "webhooks",
  params: WebhookEndpointPathSchema,
  body: TriggerRequestSchema,
  responses: { 202: { description: "Queued (or already queued)", schema: JobSubmissionSchema } },
  errors: [
    "WEBHOOK_SIGNATURE_INVALID",
    "WEBHOOK_REPLAYED",
    "JOB_NOT_FOUND",
    "JOB_INVALID_STATE",
    "RENTAL_INACTIVE",
    "AUTH_FORBIDDEN",
    "CHAIN_UNREACHABLE",
    "QUEUE_UNAVAILABLE",
  ],
});

const internalEvents = defineOperation({
  method: "post",
  path: "/v1/internal/events",
  operationId: "reportEvent",
  summary: "Internal: the Privacy Plane reports a job or review event for webhook delivery",
  description:
    "Authenticated by a Standard Webhooks signature with PRIVACY_PLANE_EVENTS_SECRET (closed when it is not " +
    "configured). The webhook-id becomes the deliveries' message id; a repeated id is refused with " +
    "WEBHOOK_REPLAYED, which the sender should treat as delivered.",
  tag: "internal",
  body: InternalEventSchema,
  responses: { 202: { description: "Queued for delivery", schema: InternalEventResponseSchema } },
  errors: ["WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_REPLAYED", "UNAVAILABLE", "CHAIN_UNREACHABLE"],
});

export const webhooksOperations = [create, list, remove, trigger, internalEvents];

/** Whose endpoints a token manages: its address, in its role (and, for providers, its dataset). */
function scopeOf(c: Context<AppEnv>) {
  const claims = requireClaims(c);
  const role = claims.role;
  return {
    owner: claims.sub.toLowerCase(),
    role: role.kind as "consumer" | "provider",
    datasetId: role.kind === "provider" ? role.datasetId : null,
  };
}

function inScope(entry: DirectoryEntry, scope: ReturnType<typeof scopeOf>): boolean {
  return entry.role === scope.role && entry.datasetId === scope.datasetId;
}

function triggerPath(id: string): string {
  return `/v1/webhooks/trigger/${id}`;
}

function toJson(
  config: Omit<EndpointConfig, "secret">,
  deliveries: WebhookEndpoint["deliveries"],
): WebhookEndpoint {
  return {
    id: config.id,
    kind: config.kind,
    owner: config.owner,
    role: config.role,
    datasetId: config.datasetId as WebhookEndpoint["datasetId"],
    url: config.url,
    events: config.events,
    description: config.description,
    createdAt: config.createdAt,
    triggerPath: config.kind === "trigger" ? triggerPath(config.id) : null,
    deliveries,
  };
}

function signatureInvalid(reason: string): Cce4longError {
  return new Cce4longError("WEBHOOK_SIGNATURE_INVALID", "The webhook signature or timestamp is not valid", {
    detail: { reason },
  });
}

function replayed(messageId: string): Cce4longError {
  return new Cce4longError("WEBHOOK_REPLAYED", "This webhook-id was already received", {
    detail: { messageId },
  });
}

/** The raw body as sent: signatures cover the exact bytes, so it is read before any parsing. */
async function rawJsonBody(c: Context<AppEnv>): Promise<ArrayBuffer> {
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (!/^application\/([\w.-]+\+)?json$/i.test(mediaType)) {
    throw new Cce4longError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
  }
  return c.req.arrayBuffer();
}

function parseJson(raw: ArrayBuffer): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
  } catch {
    throw new Cce4longError("BAD_REQUEST", "Malformed JSON in request body");
  }
}

function signedHeaders(c: Context<AppEnv>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of Object.values(WEBHOOK_HEADERS)) {
    const value = c.req.header(name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

export const webhooksRoutes = new Hono<AppEnv>()
  .post(honoPath(create), requireRole(OWNER_ROLES), jsonBody(CreateWebhookRequestSchema), async (c) => {
    const scope = scopeOf(c);
    const request = c.req.valid("json");
    if (request.kind === "trigger" && scope.role !== "consumer") {
      throw new Cce4longError(
        "AUTH_FORBIDDEN",
        "Only consumers can register trigger endpoints (they submit jobs)",
      );
    }
    const url =
      request.kind === "delivery" ? checkDeliveryUrl(request.url, c.var.config.DEPLOYMENT).toString() : null;
    const id = `wh_${[...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    const config: EndpointConfig = {
      id,
      kind: request.kind,
      owner: scope.owner,
      role: scope.role,
      datasetId: scope.datasetId,
      url,
      events: request.kind === "delivery" ? request.events : [],
      description: request.description ?? null,
      secret: newWebhookSecret(),
      createdAt: new Date().toISOString(),
    };
    const added = await directoryStub(c.env.WEBHOOK_DIRECTORY, scope.owner).add({
      id,
      kind: config.kind,
      role: config.role,
      datasetId: config.datasetId,
      events: config.events,
      createdAt: config.createdAt,
    });
    if (!added)
      throw new Cce4longError("CONFLICT", "This address already has the maximum of 20 webhook endpoints");
    await endpointStub(c.env.WEBHOOK_ENDPOINTS, id).create(config);
    const { secret, ...visible } = config;
    return c.json({ ...toJson(visible, { pending: 0, delivered: 0, failed: 0 }), secret }, 201);
  })
  .get(honoPath(list), requireRole(OWNER_ROLES), async (c) => {
    const scope = scopeOf(c);
    const entries = (await directoryStub(c.env.WEBHOOK_DIRECTORY, scope.owner).list()).filter((e) =>
      inScope(e, scope),
    );
    const described = await Promise.all(
      entries.map((e) => endpointStub(c.env.WEBHOOK_ENDPOINTS, e.id).describe()),
    );
    return c.json({
      endpoints: described.flatMap((d) => (d === null ? [] : [toJson(d.config, d.stats)])),
    });
  })
  .delete(honoPath(remove), requireRole(OWNER_ROLES), pathParams(WebhookEndpointPathSchema), async (c) => {
    const scope = scopeOf(c);
    const { endpointId } = c.req.valid("param");
    const directory = directoryStub(c.env.WEBHOOK_DIRECTORY, scope.owner);
    const entry = await directory.get(endpointId);
    // Someone else's endpoint looks exactly like a missing one.
    if (entry === null || !inScope(entry, scope))
      throw new Cce4longError("NOT_FOUND", "No such webhook endpoint");
    await endpointStub(c.env.WEBHOOK_ENDPOINTS, endpointId).destroy();
    await directory.remove(endpointId);
    return c.body(null, 204);
  })
  .post(honoPath(trigger), pathParams(WebhookEndpointPathSchema), async (c) => {
    const { endpointId } = c.req.valid("param");
    const raw = await rawJsonBody(c);
    const endpoint = endpointStub(c.env.WEBHOOK_ENDPOINTS, endpointId);
    const check = await endpoint.verifyTrigger(signedHeaders(c), raw, Date.now());
    if (!check.ok) {
      if (check.reason === "replayed") throw replayed(c.req.header(WEBHOOK_HEADERS.id) ?? "");
      // An unknown endpoint answers like a bad signature: no probing for endpoint ids.
      throw signatureInvalid(check.reason);
    }
    try {
      const { jobId } = parseOrThrow(TriggerRequestSchema, parseJson(raw), "body");
      const { submission, replayed: again } = await submitJob(
        c.env,
        c.var.config,
        jobId,
        check.owner as Address,
      );
      if (!again) c.executionCtx.waitUntil(emitJobEvent(c.env, c.var.config, "job.submitted", submission));
      c.header("idempotent-replayed", String(again));
      return c.json(submission, 202);
    } catch (error) {
      // The sender will retry with the same webhook-id; let that retry in.
      await endpoint.release(check.messageId);
      throw error;
    }
  })
  .post(honoPath(internalEvents), async (c) => {
    const secret = c.var.config.PRIVACY_PLANE_EVENTS_SECRET;
    if (secret === undefined) {
      throw new Cce4longError("UNAVAILABLE", "The internal event endpoint is not configured");
    }
    const raw = await rawJsonBody(c);
    const verified = await verifyWebhook(
      secret,
      c.req.raw.headers,
      new Uint8Array(raw),
      Math.floor(Date.now() / 1000),
    );
    if (!verified.ok) throw signatureInvalid(verified.reason);
    const event = parseOrThrow(InternalEventSchema, parseJson(raw), "body");
    const channel = endpointStub(c.env.WEBHOOK_ENDPOINTS, PRIVACY_PLANE_EVENTS_CHANNEL);
    if (!(await channel.claim(verified.id, Date.now()))) throw replayed(verified.id);
    try {
      const deliveries = await fanOut(
        c.env,
        c.var.config,
        event.type,
        { ...event.data, jobId: event.jobId, datasetId: event.datasetId, consumer: event.consumer },
        { messageId: verified.id, occurredAt: event.occurredAt },
      );
      return c.json({ accepted: true as const, deliveries }, 202);
    } catch (error) {
      await channel.release(verified.id);
      throw error;
    }
  });
