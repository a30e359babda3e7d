/**
 * Explore Mode (runs in workerd): opens a Jupyter session over a dataset's desensitized sample for the
 * signed-in consumer. The edge holds no key: it checks the dataset's terms and the rental on-chain, then
 * asks the Privacy Plane (which checks again and records the session on-chain) and passes on where to
 * point a browser. Everything after that happens between the browser and the Privacy Plane.
 */
import {
  Cce4longError,
  ExploreSessionSchema,
  OpenExploreSessionRequestSchema,
  PRIVACY_PLANE_EXPLORE_SESSIONS_PATH,
} from "@cce4long/protocol";
import { Hono } from "hono";
import type { Address } from "viem";
import { hubReader } from "../chain/hub-reader";
import type { AppEnv } from "../env";
import { requireClaims, requireRole } from "../middleware/auth";
import { jsonBody } from "../middleware/validate";
import { defineOperation, honoPath } from "../openapi/operation";
import { privacyPlane } from "../privacy-plane/client";

/** Preparing a sandbox takes about a second locally; leave room for a slow chain. */
const OPEN_TIMEOUT_MS = 30_000;

const open = defineOperation({
  method: "post",
  path: "/v1/explore/sessions",
  operationId: "openExploreSession",
  summary: "Open an Explore Mode Jupyter session over a dataset's desensitized sample",
  description:
    "Needs an active rental of the dataset, or the provider's free preview. The answer's jupyterUrl is " +
    "where to point a browser (it carries the session's token once and swaps it for a cookie); " +
    "accessToken also works as a bearer token for the notebook server's REST and WebSocket API under apiBase. " +
    "Close the session with DELETE {apiBase minus /jupyter/} and that token, or let it expire.",
  tag: "explore",
  roles: ["consumer"],
  body: OpenExploreSessionRequestSchema,
  responses: { 201: { description: "The session is ready", schema: ExploreSessionSchema } },
  errors: [
    "NOT_FOUND",
    "AUTH_FORBIDDEN",
    "RENTAL_INACTIVE",
    "CHAIN_UNREACHABLE",
    "PRIVACY_PLANE_UNAVAILABLE",
  ],
});

export const exploreOperations = [open];

export const exploreRoutes = new Hono<AppEnv>().post(
  honoPath(open),
  requireRole(["consumer"]),
  jsonBody(OpenExploreSessionRequestSchema),
  async (c) => {
    const consumer = requireClaims(c).sub as Address;
    const { datasetId } = c.req.valid("json");
    const hub = hubReader(c.var.config);
    const dataset = await hub.dataset(datasetId);
    if (dataset === null) throw new Cce4longError("NOT_FOUND", "No dataset with this id is registered");
    if (!dataset.terms.exploreOffered) {
      throw new Cce4longError("AUTH_FORBIDDEN", "This dataset does not offer Explore Mode");
    }
    const { active } = await hub.rental(datasetId, consumer);
    if (!active && !(dataset.terms.freePreview && !dataset.retired)) {
      throw new Cce4longError("RENTAL_INACTIVE", "Explore Mode needs an active rental of this dataset");
    }
    const session = await privacyPlane(c.var.config).post(
      PRIVACY_PLANE_EXPLORE_SESSIONS_PATH,
      { datasetId },
      ExploreSessionSchema,
      { caller: consumer, requestId: c.var.requestId, timeoutMs: OPEN_TIMEOUT_MS },
    );
    return c.json(session, 201, { "cache-control": "no-store" });
  },
);
