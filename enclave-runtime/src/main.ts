/**
 * The Privacy Plane's process entry (runs inside the dstack TEE; locally a Node process beside the
 * development guest agent). main() -> run(): parse config, reach the guest API, serve HTTP, and
 * stop cleanly on SIGTERM/SIGINT.
 */

import { join } from "node:path";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import { FileKeyVersionStore } from "@cce4long/sealing/keys/file-key-version-store";
import { InMemoryKeyVersionStore } from "@cce4long/sealing/keys/key-version-store";
import { DatasetKeyring } from "@cce4long/sealing/keys/keyring";
import { serve } from "@hono/node-server";
import { DstackClient } from "@phala/dstack-sdk";
import { parseConfig } from "./config";
import { startExplore } from "./explore/start-explore";
import { createPrivacyPlaneApp } from "./http/app";
import { startIngest } from "./ingest/ingest-service";
import { startPrivacyMode } from "./jobs/privacy-mode-service";
import { log } from "./log";
import { datasetPoliciesFromConfig } from "./policies/hub-policy-sources";
import { startReviews } from "./review/start-reviews";

async function run(): Promise<void> {
  const config = parseConfig(process.env);
  const dstack = new DstackClient(config.DSTACK_ENDPOINT);
  if (!(await dstack.isReachable())) {
    throw new Error(`the dstack guest API at ${config.DSTACK_ENDPOINT} does not answer`);
  }
  // One keyring for the process: the key versions ingest writes are the ones key release and
  // Explore sessions read (rotation and retirement are enforced in one place).
  const keys = new DstackKeyProvider({ endpoint: config.DSTACK_ENDPOINT });
  // Key versions outlive a restart when there is a state folder (dstack's encrypted disk in production).
  const keyVersions = config.PRIVACY_PLANE_STATE_DIR
    ? new FileKeyVersionStore(join(config.PRIVACY_PLANE_STATE_DIR, "key-versions"))
    : new InMemoryKeyVersionStore();
  const keyring = new DatasetKeyring({ provider: keys, store: keyVersions });
  const privacyMode = await startPrivacyMode(config, process.env, log, { keys, keyring });
  // One reader of the providers' signed policies: the gate and ingest see the same newest versions.
  const policies = datasetPoliciesFromConfig(config, log);
  const ingest = await startIngest(config, log, { keys, keyring, policies });
  const reviews = await startReviews(config, log, privacyMode.inbox, { keyring, policies });
  // Explore exports the gate holds for review join the same review service (queue, decisions, release).
  const explore = await startExplore(config, log, { keys, keyring, policies, reviews: reviews.service });
  const app = createPrivacyPlaneApp({
    deployment: config.CCE4LONG_DEPLOYMENT,
    guestAgentReachable: () => dstack.isReachable(),
    log,
    routes: [...privacyMode.routes, ...ingest.routes, ...reviews.routes, ...explore.routes],
  });
  const server = serve({
    fetch: app.fetch,
    hostname: config.PRIVACY_PLANE_HOST,
    port: config.PRIVACY_PLANE_PORT,
  });
  server.on("upgrade", explore.upgrade);
  log("privacy-plane.started", {
    deployment: config.CCE4LONG_DEPLOYMENT,
    url: `http://${config.PRIVACY_PLANE_HOST}:${config.PRIVACY_PLANE_PORT}`,
  });
  const stop = (signal: string) => {
    log("privacy-plane.stopping", { signal });
    void Promise.allSettled([privacyMode.stop(), ingest.stop(), reviews.stop(), explore.stop()]).finally(() =>
      server.close(() => process.exit(0)),
    );
    setTimeout(() => process.exit(0), 3_000).unref();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

run().catch((error: unknown) => {
  log("privacy-plane.failed", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
