/**
 * Liveness route of the edge API (runs in workerd). Answers only once the configuration is valid,
 * so a misconfigured deployment shows up here as CONFIG_INVALID.
 */
import { HealthResponseSchema } from "@cce4long/protocol";
import { Hono } from "hono";
import type { AppEnv } from "../env";
import { defineOperation, honoPath } from "../openapi/operation";

const health = defineOperation({
  method: "get",
  path: "/healthz",
  operationId: "health",
  summary: "Liveness check",
  tag: "meta",
  responses: { 200: { description: "The API is up and configured", schema: HealthResponseSchema } },
});

export const healthOperations = [health];

export const healthRoutes = new Hono<AppEnv>().get(honoPath(health), (c) =>
  c.json({ ok: true as const, service: "edge-api" as const }),
);
