/**
 * The Privacy Plane's process entry (runs inside the dstack TEE; locally a Node process beside the
 * development guest agent). main() -> run(): parse config, reach the guest API, serve HTTP, and
 * stop cleanly on SIGTERM/SIGINT.
 */
import { serve } from "@hono/node-server";
import { DstackClient } from "@phala/dstack-sdk";
import { parseConfig } from "./config";
import { createPrivacyPlaneApp } from "./http/app";
import { log } from "./log";

async function run(): Promise<void> {
  const config = parseConfig(process.env);
  const dstack = new DstackClient(config.DSTACK_ENDPOINT);
  if (!(await dstack.isReachable())) {
    throw new Error(`the dstack guest API at ${config.DSTACK_ENDPOINT} does not answer`);
  }
  const app = createPrivacyPlaneApp({
    deployment: config.CCE4LONG_DEPLOYMENT,
    guestAgentReachable: () => dstack.isReachable(),
    log,
  });
  const server = serve({ fetch: app.fetch, hostname: config.PRIVACY_PLANE_HOST, port: config.PRIVACY_PLANE_PORT });
  log("privacy-plane.started", {
    deployment: config.CCE4LONG_DEPLOYMENT,
    url: `http://${config.PRIVACY_PLANE_HOST}:${config.PRIVACY_PLANE_PORT}`,
  });
  const stop = (signal: string) => {
    log("privacy-plane.stopping", { signal });
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

run().catch((error: unknown) => {
  log("privacy-plane.failed", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
