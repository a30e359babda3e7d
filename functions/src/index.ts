/**
 * The edge API's entry point (runs in workerd / on Cloudflare Workers).
 * Only sets the error handlers and mounts the route groups; each group is a Hono sub-app in routes/.
 * Durable Object classes are exported here because workerd looks them up on the main module.
 */
import { Cce4longError } from "@cce4long/protocol";
import { Hono } from "hono";
import type { AppEnv } from "./env";
import { logError, problemBody, toProblem } from "./errors/problem";
import { commonMiddleware } from "./middleware/common";
import { algorithmsRoutes } from "./routes/algorithms";
import { authRoutes } from "./routes/auth";
import { catalogueRoutes } from "./routes/catalogue";
import { exploreRoutes } from "./routes/explore";
import { healthRoutes } from "./routes/health";
import { jobsRoutes } from "./routes/jobs";
import { metaRoutes } from "./routes/meta";
import { policiesRoutes } from "./routes/policies";
import { rentalsRoutes } from "./routes/rentals";
import { resultsRoutes } from "./routes/results";
import { reviewsRoutes } from "./routes/reviews";
import { uploadsRoutes } from "./routes/uploads";
import { webhooksRoutes } from "./routes/webhooks";

export { NonceStore } from "./auth/nonce-store";
export { JobSubmissionStore } from "./jobs/submission-store";
export { RateLimiter } from "./rate-limit/rate-limiter";
export { WebhookDirectory } from "./webhooks/directory";
export { WebhookEndpointStore } from "./webhooks/endpoint-store";

const app = new Hono<AppEnv>();

app.onError((error, c) => {
  const context = { requestId: c.var.requestId, path: c.req.path };
  logError(error, context);
  return problemBody(c, toProblem(error, context));
});

app.notFound((c) => {
  const error = new Cce4longError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`);
  return problemBody(c, toProblem(error, { requestId: c.var.requestId, path: c.req.path }));
});

app.use(...commonMiddleware());
app.route("/", healthRoutes);
app.route("/", metaRoutes);
app.route("/", authRoutes);
app.route("/", catalogueRoutes);
app.route("/", rentalsRoutes);
app.route("/", jobsRoutes);
app.route("/", resultsRoutes);
app.route("/", reviewsRoutes);
app.route("/", webhooksRoutes);
app.route("/", uploadsRoutes);
app.route("/", exploreRoutes);
app.route("/", algorithmsRoutes);
app.route("/", policiesRoutes);

export default app;
