/**
 * The middleware every request passes, in order (runs in workerd): request id, configuration,
 * CORS, body-size limit, authentication (if a token is sent), then the per-identity rate limit.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { loadConfig } from "../config";
import type { AppEnv } from "../env";
import { authenticate } from "./auth";
import { rateLimit } from "./rate-limit";

const withConfig: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("config", loadConfig(c.env));
  await next();
};

const corsFromConfig = cors({
  origin: (origin, c) => {
    const allowed = (c.var as AppEnv["Variables"]).config.ALLOWED_ORIGINS;
    return allowed.includes("*") || allowed.includes(origin) ? origin : null;
  },
  allowHeaders: ["authorization", "cache-control", "content-type", "x-request-id"],
  exposeHeaders: ["x-request-id", "retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"],
  maxAge: 600,
});

const limitBodySize: MiddlewareHandler<AppEnv> = (c, next) =>
  bodyLimit({
    maxSize: c.var.config.MAX_BODY_BYTES,
    onError: () => {
      throw new Cce4longError(
        "PAYLOAD_TOO_LARGE",
        `The request body is larger than ${c.var.config.MAX_BODY_BYTES} bytes`,
      );
    },
  })(c, next);

export function commonMiddleware(): MiddlewareHandler<AppEnv>[] {
  return [
    requestId({ limitLength: 128 }),
    withConfig,
    corsFromConfig,
    limitBodySize,
    authenticate,
    rateLimit,
  ];
}
