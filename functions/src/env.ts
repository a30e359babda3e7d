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
