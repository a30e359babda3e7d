/**
 * The edge API's entry point (runs in workerd / on Cloudflare Workers).
 * Only mounts the route groups and maps errors; each group is a Hono sub-app in routes/.
 */
import { Hono } from "hono";

const app = new Hono();

app.get("/healthz", (c) => c.json({ ok: true, service: "edge-api" }));

export default app;
