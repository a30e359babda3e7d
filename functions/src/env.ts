/**
 * The Hono environment of the edge API (runs in workerd): bindings typed by `wrangler types`
 * (worker-configuration.d.ts) plus the secrets, and the per-request variables middleware sets.
 */
import type { Config } from "./config";
import type { AuthState } from "./middleware/auth";

/** Secrets come from `wrangler secret put` / .dev.vars, so `wrangler types` cannot see them. */
export interface Secrets {
  TOKEN_SECRET: string;
  OBJECT_STORE_ACCESS_KEY_ID: string;
  OBJECT_STORE_SECRET_ACCESS_KEY: string;
  /** Google service-account key (JSON) for Pub/Sub publishing; production only. */
  PUBSUB_SERVICE_ACCOUNT_KEY?: string;
  /** Bearer token the edge presents to the Privacy Plane on forwarded calls. */
  PRIVACY_PLANE_API_TOKEN?: string;
  /** whsec_ secret the Privacy Plane signs its job/review events with (Standard Webhooks). */
  PRIVACY_PLANE_EVENTS_SECRET?: string;
}

export type Bindings = Env & Secrets;

export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    config: Config;
    auth: AuthState;
  };
}
