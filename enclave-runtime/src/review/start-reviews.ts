/**
 * Wires the output review into the Privacy Plane (runs inside the TEE): the store (file-backed under
 * PRIVACY_PLANE_STATE_DIR, in memory without one in development), the hub as the "chain-recorder",
 * the gate, result delivery to the results bucket, the "result-manifest" key, events to the edge
 * API, the timeout sweeper, and the route groups. main.ts calls it once and feeds it the inbox.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseDeployment } from "@cce4long/protocol";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import type { DatasetKeyring } from "@cce4long/sealing/keys/keyring";
import type { Hono } from "hono";
import { toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { PrivacyPlaneConfig } from "../config";
import { buildFingerprintIndex } from "../gate/fingerprints/build";
import { reviewRoutes } from "../http/review-routes";
import { objectStoreFromConfig } from "../ingest/object-store";
import type { OutputInbox } from "../jobs/output-inbox";
import type { DatasetPolicies } from "../policies/dataset-policies";
import { type EventSink, fanOut, loggingEventSink } from "./events";
import { FileReviewStore } from "./file-review-store";
import { createGateRunner, noIndexSource } from "./gate-runner";
import { httpEventSink } from "./http-event-sink";
import { createHubReviewChain } from "./hub-review-chain";
import { devOutputRoutes } from "./insecure/dev-output-routes";
import { hubVersionRoot, manifestGateInputs } from "./manifest-gate-inputs";
import { MemoryOutputVault } from "./output-vault";
import { ReviewService } from "./review-service";
import { InMemoryReviewStore } from "./review-store";
import { SealedOutputVault } from "./sealed-output-vault";
import { startSweeper } from "./timeout-policy";

type Log = (event: string, fields: Record<string, unknown>) => void;

export interface ReviewPlane {
  service: ReviewService;
  routes: Hono[];
  stop(): Promise<void>;
}

export async function startReviews(
  config: PrivacyPlaneConfig,
  log: Log,
  inbox?: OutputInbox,
  shared?: { keyring: Pick<DatasetKeyring, "keyForRead">; policies?: Pick<DatasetPolicies, "resolve"> },
): Promise<ReviewPlane> {
  const keys = new DstackKeyProvider({ endpoint: config.DSTACK_ENDPOINT });
  const deployment = parseDeployment(JSON.parse(readFileSync(config.CONTRACTS_DEPLOYMENT_FILE, "utf8")));
  const recorderKey = await keys.signingKey("chain-recorder");
  const recorder = privateKeyToAccount(toHex(recorderKey.privateKey));
  recorderKey.wipe();
  if (config.PRIVACY_PLANE_STATE_DIR === undefined) {
    log("review.state-in-memory", { note: "PRIVACY_PLANE_STATE_DIR unset: review state is lost on restart" });
  }
  const events: EventSink =
    config.EDGE_API_URL && config.PRIVACY_PLANE_EVENTS_SECRET
      ? fanOut(
          loggingEventSink(log),
          httpEventSink({ edgeUrl: config.EDGE_API_URL, secret: config.PRIVACY_PLANE_EVENTS_SECRET, log }),
        )
      : loggingEventSink(log);
  const objectStore = objectStoreFromConfig(config);
  const service = new ReviewService({
    chainId: deployment.chainId,
    hub: deployment.contracts.hub.address,
    store: config.PRIVACY_PLANE_STATE_DIR
      ? new FileReviewStore(config.PRIVACY_PLANE_STATE_DIR)
      : new InMemoryReviewStore(),
    // With a state folder, outputs waiting for a reviewer are sealed there and survive a restart.
    vault: config.PRIVACY_PLANE_STATE_DIR
      ? new SealedOutputVault({
          stateDir: config.PRIVACY_PLANE_STATE_DIR,
          key: () => keys.outputVaultKey(),
        })
      : new MemoryOutputVault(),
    chain: createHubReviewChain({ rpcUrl: config.RPC_URL, deployment, recorder }),
    // The gate checks each set against the fingerprints ingest sealed beside its dataset version;
    // without a keyring (tests) there is no index and every set goes to a reviewer (gate-runner.ts).
    gate: createGateRunner(
      shared
        ? manifestGateInputs({
            versionRoot: hubVersionRoot(config.RPC_URL, deployment),
            store: objectStore,
            keyring: shared.keyring,
            ...(shared.policies ? { policies: shared.policies } : {}),
            indexCacheBytes: config.GATE_INDEX_CACHE_MIB * 2 ** 20,
          })
        : noIndexSource,
      () =>
        buildFingerprintIndex({
          datasetKey: new Uint8Array(randomBytes(32)),
          schema: { columns: [] } as never,
          rows: [],
        }),
    ),
    events,
    objectStore,
    manifestKey: () => keys.signingKey("result-manifest"),
    timeout: { afterHours: config.REVIEW_TIMEOUT_HOURS, action: config.REVIEW_TIMEOUT_ACTION },
    log,
  });
  const unsubscribe = inbox?.onReceived((outputs) => {
    const taken = inbox.take(outputs.jobId);
    if (taken === undefined) return;
    service
      .accept({
        jobId: taken.jobId,
        ...(taken.measurementId ? { measurementId: taken.measurementId } : {}),
        declared: taken.spec?.outputs ?? [],
        files: taken.files,
      })
      .catch((error: unknown) =>
        log("review.accept-failed", { jobId: taken.jobId, error: (error as Error).message }),
      );
  });
  const stopSweeper = startSweeper(() => service.sweep(), config.REVIEW_SWEEP_SECONDS * 1000);
  const routes = [reviewRoutes({ service, apiToken: config.PRIVACY_PLANE_API_TOKEN })];
  if (config.CCE4LONG_DEPLOYMENT === "development") {
    routes.push(
      devOutputRoutes({
        deployment: config.CCE4LONG_DEPLOYMENT,
        service,
        apiToken: config.PRIVACY_PLANE_API_TOKEN,
      }),
    );
  }
  return {
    service,
    routes,
    async stop() {
      stopSweeper();
      unsubscribe?.();
    },
  };
}
