/**
 * Webhooks of the edge API (runs anywhere): endpoints consumers and providers register for job and
 * review events (delivered signed per the Standard Webhooks spec), trigger endpoints that start a job
 * from a signed incoming webhook, and the internal event the Privacy Plane sends to the edge.
 */
import { z } from "zod";
import { AddressSchema, DatasetIdSchema, TimestampSchema } from "./common";
import { JobIdSchema } from "./jobs";

export const WEBHOOK_EVENT_TYPES = [
  "job.submitted",
  "job.dispatched",
  "job.key-released",
  "job.outputs-submitted",
  "job.under-review",
  "job.changes-requested",
  "job.approved",
  "job.rejected",
  "job.result-released",
  "job.failed",
  "job.cancelled",
  "review.requested",
  "review.decided",
] as const;
export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;

/** What an endpoint subscribes to: one event type, a family (`job.*`, `review.*`) or everything (`*`). */
export const WebhookEventFilterSchema = z.union([WebhookEventTypeSchema, z.enum(["job.*", "review.*", "*"])]);
export type WebhookEventFilter = z.infer<typeof WebhookEventFilterSchema>;

export function webhookFilterMatches(filter: WebhookEventFilter, type: WebhookEventType): boolean {
  if (filter === "*") return true;
  if (filter.endsWith(".*")) return type.startsWith(filter.slice(0, -1));
  return filter === type;
}

export const WebhookEndpointIdSchema = z
  .string()
  .regex(/^wh_[0-9a-f]{32}$/, "must be wh_ followed by 32 hex digits")
  .meta({ description: "Webhook endpoint id", examples: [`wh_${"0a".repeat(16)}`] });

export const WebhookEndpointPathSchema = z.object({ endpointId: WebhookEndpointIdSchema });

export const CreateWebhookRequestSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("delivery"),
    url: z.string().max(2048).meta({
      description: "Where events are POSTed: https (plain http only in development deployments)",
    }),
    events: z.array(WebhookEventFilterSchema).min(1).max(20),
    description: z.string().max(200).optional(),
  }),
  z.object({
    kind: z.literal("trigger"),
    description: z.string().max(200).optional(),
  }),
]);
export type CreateWebhookRequest = z.input<typeof CreateWebhookRequestSchema>;

export const WebhookEndpointSchema = z.object({
  id: WebhookEndpointIdSchema,
  kind: z.enum(["delivery", "trigger"]),
  owner: AddressSchema,
  role: z.enum(["consumer", "provider"]),
  datasetId: DatasetIdSchema.nullable().meta({ description: "For provider endpoints: the dataset" }),
  url: z.string().nullable().meta({ description: "Delivery endpoints: where events go" }),
  events: z.array(WebhookEventFilterSchema),
  description: z.string().nullable(),
  createdAt: TimestampSchema,
  triggerPath: z
    .string()
    .nullable()
    .meta({ description: "Trigger endpoints: where to POST signed triggers" }),
  deliveries: z
    .object({
      pending: z.number().int().nonnegative(),
      delivered: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
    })
    .meta({ description: "Delivery counts (delivery endpoints)" }),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

export const CreatedWebhookSchema = WebhookEndpointSchema.extend({
  secret: z.string().meta({
    description: "whsec_<base64>: the Standard Webhooks signing secret. Shown once; store it now.",
  }),
});
export type CreatedWebhook = z.infer<typeof CreatedWebhookSchema>;

export const ListWebhooksResponseSchema = z.object({ endpoints: z.array(WebhookEndpointSchema) });
export type ListWebhooksResponse = z.infer<typeof ListWebhooksResponseSchema>;

/** The body of a trigger: the job (requested on-chain by the endpoint's owner) to submit. */
export const TriggerRequestSchema = z.object({ jobId: JobIdSchema });

/** The JSON body of every delivery we send (Standard Webhooks payload structure). */
export const WebhookDeliverySchema = z.object({
  type: WebhookEventTypeSchema,
  timestamp: TimestampSchema,
  data: z
    .object({
      jobId: JobIdSchema,
      datasetId: DatasetIdSchema,
      consumer: AddressSchema,
    })
    .catchall(z.unknown()),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/**
 * POST /v1/internal/events: a job or review event the Privacy Plane reports, signed per Standard
 * Webhooks with PRIVACY_PLANE_EVENTS_SECRET. The webhook-id becomes the delivery's message id, so a
 * retried report is recognised (409 WEBHOOK_REPLAYED means "already have it").
 */
export const InternalEventSchema = z.object({
  type: WebhookEventTypeSchema,
  jobId: JobIdSchema,
  datasetId: DatasetIdSchema,
  consumer: AddressSchema,
  occurredAt: TimestampSchema,
  data: z.record(z.string(), z.unknown()).default({}),
});
export type InternalEvent = z.input<typeof InternalEventSchema>;

export const InternalEventResponseSchema = z.object({
  accepted: z.literal(true),
  deliveries: z.number().int().nonnegative().meta({ description: "Endpoints the event was queued for" }),
});
