/**
 * The dataset catalogue (runs in workerd): list, filter and read datasets as the hub contract
 * records them, and each dataset's on-chain audit trail. Public: the catalogue and the audit trail
 * are meant to be seen by anyone.
 */
import {
  AuditTrailResponseSchema,
  Cce4longError,
  DatasetDetailSchema,
  DatasetPathSchema,
  type DatasetSummary,
  ListDatasetsQuerySchema,
  ListDatasetsResponseSchema,
} from "@cce4long/protocol";
import { Hono } from "hono";
import { type Hex, isAddressEqual } from "viem";
import { hubReader } from "../chain/hub-reader";
import { auditEvents, datasetSummary } from "../chain/to-json";
import type { AppEnv } from "../env";
import { edgeCache } from "../middleware/edge-cache";
import { pathParams, queryParams } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";

/** At most this many datasets are read from the chain for one page, however few match the filter. */
const MAX_SCAN = 200;

const list = defineOperation({
  method: "get",
  path: "/v1/datasets",
  operationId: "listDatasets",
  summary: "List datasets in registration order, optionally filtered",
  description: `Reads at most ${MAX_SCAN} datasets per page; a page may hold fewer than limit while nextCursor is not null.`,
  tag: "catalogue",
  query: ListDatasetsQuerySchema,
  responses: { 200: { description: "A page of datasets", schema: ListDatasetsResponseSchema } },
  errors: ["CHAIN_UNREACHABLE"],
});

const read = defineOperation({
  method: "get",
  path: "/v1/datasets/{datasetId}",
  operationId: "getDataset",
  summary: "Read one dataset, with its reviewers",
  tag: "catalogue",
  params: DatasetPathSchema,
  responses: { 200: { description: "The dataset", schema: DatasetDetailSchema } },
  errors: ["NOT_FOUND", "CHAIN_UNREACHABLE"],
});

const audit = defineOperation({
  method: "get",
  path: "/v1/datasets/{datasetId}/audit",
  operationId: "getDatasetAuditTrail",
  summary: "Every on-chain event about one dataset, in chain order",
  tag: "catalogue",
  params: DatasetPathSchema,
  responses: { 200: { description: "The audit trail", schema: AuditTrailResponseSchema } },
  errors: ["NOT_FOUND", "CHAIN_UNREACHABLE"],
});

export const catalogueOperations = [list, read, audit];

function unknownDataset(): Cce4longError {
  return new Cce4longError("NOT_FOUND", "No dataset with this id is registered");
}

export const catalogueRoutes = new Hono<AppEnv>()
  .get(honoPath(list), edgeCache, queryParams(ListDatasetsQuerySchema), async (c) => {
    const query = c.req.valid("query");
    const hub = hubReader(c.var.config);
    const count = await hub.datasetCount();
    const start = BigInt(query.cursor ?? "0");
    const end = start + BigInt(MAX_SCAN) < count ? start + BigInt(MAX_SCAN) : count;
    const datasets: DatasetSummary[] = [];
    let next = start;
    // One batch of `limit` reads at a time: the JSON-RPC batching makes each batch one request.
    while (next < end && datasets.length < query.limit) {
      const batchEnd = next + BigInt(query.limit) < end ? next + BigInt(query.limit) : end;
      const indices = Array.from({ length: Number(batchEnd - next) }, (_, i) => next + BigInt(i));
      const ids = await Promise.all(indices.map((i) => hub.datasetIdAt(i)));
      const records = await Promise.all(ids.map((id) => hub.dataset(id)));
      for (const [i, record] of records.entries()) {
        next = indices[i]! + 1n;
        if (record === null) continue;
        const summary = datasetSummary(ids[i]!, record);
        if (matches(summary, query)) datasets.push(summary);
        if (datasets.length === query.limit) break;
      }
    }
    return c.json({ datasets, nextCursor: next < count ? next.toString() : null });
  })
  .get(honoPath(read), edgeCache, pathParams(DatasetPathSchema), async (c) => {
    const { datasetId } = c.req.valid("param");
    const hub = hubReader(c.var.config);
    const [record, reviewers] = await Promise.all([hub.dataset(datasetId), hub.reviewersOf(datasetId)]);
    if (record === null) throw unknownDataset();
    return c.json({ ...datasetSummary(datasetId, record), reviewers: [...reviewers] });
  })
  .get(honoPath(audit), pathParams(DatasetPathSchema), async (c) => {
    const { datasetId } = c.req.valid("param");
    const hub = hubReader(c.var.config);
    const [record, entries] = await Promise.all([hub.dataset(datasetId), hub.auditTrail(datasetId)]);
    if (record === null) throw unknownDataset();
    return c.json({ datasetId, events: auditEvents(entries) });
  });

function matches(
  dataset: DatasetSummary,
  query: { provider?: string | undefined; includeRetired: boolean; exploreOffered?: boolean | undefined },
): boolean {
  if (dataset.retired && !query.includeRetired) return false;
  if (query.exploreOffered !== undefined && dataset.terms.exploreOffered !== query.exploreOffered) {
    return false;
  }
  if (query.provider !== undefined && !isAddressEqual(dataset.provider as Hex, query.provider as Hex)) {
    return false;
  }
  return true;
}
