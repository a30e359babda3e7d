/**
 * The API's description of itself (runs in workerd): the OpenAPI 3.1 document and a readable
 * reference page rendered from it. Both are built once per isolate.
 */
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { renderDocsPage } from "../openapi/docs-page";
import { buildOpenApiDocument } from "../openapi/document";
import { defineOperation, honoPath, type OperationSpec } from "../openapi/operation";
import { algorithmsOperations } from "./algorithms";
import { authOperations } from "./auth";
import { catalogueOperations } from "./catalogue";
import { exploreOperations } from "./explore";
import { healthOperations } from "./health";
import { jobsOperations } from "./jobs";
import { policiesOperations } from "./policies";
import { rentalsOperations } from "./rentals";
import { resultsOperations } from "./results";
import { reviewsOperations } from "./reviews";
import { uploadsOperations } from "./uploads";
import { webhooksOperations } from "./webhooks";

const openapi = defineOperation({
  method: "get",
  path: "/openapi.json",
  operationId: "getOpenApiDocument",
  summary: "This API's OpenAPI 3.1 document",
  tag: "meta",
  responses: { 200: { description: "The OpenAPI document" } },
});

const docs = defineOperation({
  method: "get",
  path: "/docs",
  operationId: "getApiReference",
  summary: "A readable API reference (HTML)",
  tag: "meta",
  responses: { 200: { description: "An HTML page", contentType: "text/html" } },
});

/** Every documented operation; a test checks this matches the routes the app really serves. */
export const ALL_OPERATIONS: readonly OperationSpec[] = [
  ...healthOperations,
  openapi,
  docs,
  ...authOperations,
  ...catalogueOperations,
  ...rentalsOperations,
  ...uploadsOperations,
  ...jobsOperations,
  ...resultsOperations,
  ...reviewsOperations,
  ...webhooksOperations,
  ...exploreOperations,
  ...algorithmsOperations,
  ...policiesOperations,
];

let cachedDocument: Record<string, unknown> | undefined;
let cachedPage: string | undefined;

function documentOnce(): Record<string, unknown> {
  cachedDocument ??= buildOpenApiDocument(ALL_OPERATIONS);
  return cachedDocument;
}

// The page has no scripts and loads nothing from elsewhere; the policy says so to the browser.
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

export const metaRoutes = new Hono<AppEnv>()
  .get(honoPath(openapi), (c) => c.json(documentOnce()))
  .get(honoPath(docs), (c) => {
    cachedPage ??= renderDocsPage(documentOnce());
    c.header("content-security-policy", DOCS_CSP);
    c.header("x-content-type-options", "nosniff");
    return c.html(cachedPage);
  });
