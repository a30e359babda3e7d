/**
 * The secret bindings the Worker tests run with (set in vitest.config.ts), typed for tests that
 * mint tokens or rebuild the environment. Runs in workerd.
 */
import { env } from "cloudflare:test";
import type { Secrets } from "../src/env";

const bindings = env as unknown as Secrets;

export const WORKER_TEST_SECRETS: Secrets = {
  TOKEN_SECRET: bindings.TOKEN_SECRET,
  OBJECT_STORE_ACCESS_KEY_ID: bindings.OBJECT_STORE_ACCESS_KEY_ID,
  OBJECT_STORE_SECRET_ACCESS_KEY: bindings.OBJECT_STORE_SECRET_ACCESS_KEY,
};
