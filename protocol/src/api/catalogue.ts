/**
 * The dataset catalogue as the edge API serves it (runs anywhere): what the hub contract records
 * about each dataset, in JSON-safe form (uint128/uint256 values as decimal strings).
 */
import { z } from "zod";
import { AddressSchema, Bytes32Schema, DatasetIdSchema, TimestampSchema } from "./common";

const DecimalSchema = z.string().regex(/^(0|[1-9][0-9]*)$/, "must be a non-negative decimal integer");

export const DatasetTermsSchema = z.object({
  pricePerPeriodWei: DecimalSchema.meta({ description: "Price of one rental period in wei (decimal)" }),
  periodSeconds: z.number().int().positive(),
  exploreOffered: z.boolean(),
  freePreview: z.boolean(),
});

export const DatasetSummarySchema = z.object({
  datasetId: DatasetIdSchema,
  provider: AddressSchema,
  registeredAt: TimestampSchema,
  retired: z.boolean(),
  versionCount: z.number().int().nonnegative(),
  metadataHash: Bytes32Schema.meta({ description: "Hash of the catalogue metadata document" }),
  metadataUri: z.string(),
  terms: DatasetTermsSchema,
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

export const DatasetDetailSchema = DatasetSummarySchema.extend({
  reviewers: z.array(AddressSchema),
});
export type DatasetDetail = z.infer<typeof DatasetDetailSchema>;

const booleanQuery = z.enum(["true", "false"]).transform((v) => v === "true");

export const ListDatasetsQuerySchema = z.object({
  provider: AddressSchema.optional().meta({ description: "Only datasets of this provider" }),
  includeRetired: booleanQuery
    .default(false)
    .meta({ description: "Include retired datasets (default false)" }),
  exploreOffered: booleanQuery
    .optional()
    .meta({ description: "Only datasets that do (or do not) offer Explore Mode" }),
  cursor: DecimalSchema.optional().meta({ description: "nextCursor of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListDatasetsQuery = z.input<typeof ListDatasetsQuerySchema>;

export const ListDatasetsResponseSchema = z.object({
  datasets: z.array(DatasetSummarySchema),
  nextCursor: DecimalSchema.nullable().meta({
    description: "Pass as cursor for the next page; null at the end",
  }),
});
export type ListDatasetsResponse = z.infer<typeof ListDatasetsResponseSchema>;

export const DatasetPathSchema = z.object({ datasetId: DatasetIdSchema });

/** One decoded hub event about a dataset; argument values that are integers are decimal strings. */
export const AuditEventSchema = z.object({
  eventName: z.string(),
  blockNumber: DecimalSchema,
  logIndex: z.number().int().nonnegative(),
  transactionHash: Bytes32Schema,
  args: z.record(z.string(), z.unknown()),
});

export const AuditTrailResponseSchema = z.object({
  datasetId: DatasetIdSchema,
  events: z.array(AuditEventSchema),
});
export type AuditTrailResponse = z.infer<typeof AuditTrailResponseSchema>;
