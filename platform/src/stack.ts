/**
 * The whole local platform (development only): starts every stand-in in dependency order, with a
 * readiness check each, and stops everything in reverse. Used by `npm start`, `npm run demo` and
 * the integration-test setup; the same code path in all three.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LOCAL_PUBSUB_PROJECT, TOPICS } from "@cce4long/protocol/queue/topics";
import { ALL_BUCKETS } from "@cce4long/protocol/storage/buckets";
import { DstackClient } from "@phala/dstack-sdk";
import { createLayout, type StackLayout, stackLayout } from "./layout";
import { ensurePortsFree, type Ports } from "./ports";
import { httpProbe, type ManagedProcess } from "./process";
import { loadOrCreateSecrets } from "./secrets";
import { startAnvil } from "./services/anvil";
import { setUpLocalChain } from "./services/chain-setup";
import { startEdgeApi } from "./services/edge-api";
import { startNodeService } from "./services/node-service";
import { startPubSubEmulator } from "./services/pubsub-emulator";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");

export interface StackOptions {
  /** The state folder (`.local` for `npm start`; a temp folder in tests). */
  root: string;
  ports: Ports;
  /** Keep chain state across restarts (npm start) or start from a fresh chain (tests). */
  persistChain: boolean;
  onProgress?: (line: string) => void;
}

export interface StackEndpoints {
  rpcUrl: string;
  chainId: number;
  pubsubEmulatorHost: string;
  pubsubProject: string;
  objectStore: string;
  edgeApi: string;
  privacyPlane: string;
  guestAgentSocket: string;
  deploymentFile: string;
  hubAddress: string;
}

export interface RunningStack {
  layout: StackLayout;
  endpoints: StackEndpoints;
  /** Wall time from the call to all services ready. */
  startMs: number;
  /** Per-service readiness times. */
  timings: Record<string, number>;
  stop(): Promise<void>;
}

/**
 * Like Promise.all, but waits for every start to settle before failing, so that a service still
 * starting when another fails is tracked and stopped, not orphaned.
 */
async function settleAll<T extends readonly unknown[]>(
  starts: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const progress = options.onProgress ?? (() => {});
  const layout = stackLayout(options.root);
  createLayout(layout);
  await ensurePortsFree(options.ports);
  const secrets = loadOrCreateSecrets(layout.secretsFile);
  const started: ManagedProcess[] = [];
  const track = async <T extends { process?: ManagedProcess } | ManagedProcess>(
    name: string,
    start: Promise<T>,
  ): Promise<T> => {
    const value = await start;
    started.push("pid" in value ? (value as ManagedProcess) : (value as { process: ManagedProcess }).process);
    timings[name] = Math.round(performance.now() - t0);
    progress(`  ready: ${name} (${timings[name]} ms)`);
    return value;
  };
  const stopAll = async () => {
    for (const proc of [...started].reverse()) await proc.stop();
  };
  const log = (name: string) => join(layout.logs, `${name}.log`);

  try {
    const objectStoreUrl = `http://127.0.0.1:${options.ports.objectStore}`;
    // Independent services start together: the chain, the queue, the object store, the guest API.
    const [anvil, pubsub] = await settleAll([
      track(
        "anvil",
        startAnvil({
          port: options.ports.anvil,
          logFile: log("anvil"),
          ...(options.persistChain ? { stateFile: layout.anvilState } : {}),
        }),
      ),
      track(
        "pubsub-emulator",
        startPubSubEmulator({ port: options.ports.pubsub, logFile: log("pubsub-emulator") }),
      ),
      track(
        "object-store",
        startNodeService({
          name: "object-store",
          entry: join(REPO_ROOT, "platform/src/object-store/main.ts"),
          env: {
            ...process.env,
            OBJECT_STORE_PORT: String(options.ports.objectStore),
            OBJECT_STORE_DIR: layout.objectStore,
            OBJECT_STORE_ACCESS_KEY_ID: secrets.objectStoreAccessKeyId,
            OBJECT_STORE_SECRET_ACCESS_KEY: secrets.objectStoreSecretAccessKey,
            OBJECT_STORE_BUCKETS: ALL_BUCKETS.join(","),
          },
          logFile: log("object-store"),
          cwd: REPO_ROOT,
          ready: httpProbe(`${objectStoreUrl}/__health`),
        }),
      ),
      track(
        "dev-guest-agent",
        startNodeService({
          name: "dev-guest-agent (INSECURE, development only)",
          entry: join(REPO_ROOT, "enclave-runtime/src/insecure/dev-guest-agent/main.ts"),
          args: ["--socket", layout.guestAgentSocket, "--state-dir", layout.guestAgentState],
          env: { ...process.env, CCE4LONG_DEPLOYMENT: "development" },
          logFile: log("dev-guest-agent"),
          cwd: REPO_ROOT,
          ready: () => new DstackClient(layout.guestAgentSocket).isReachable(),
        }),
      ),
    ]);

    const chain = await setUpLocalChain({
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      deploymentFile: layout.deploymentFile,
      guestAgentSocket: layout.guestAgentSocket,
      transparencyLogFile: join(options.root, "transparency", "log.jsonl"),
    });
    timings.contracts = Math.round(performance.now() - t0);
    progress(`  ready: contracts at ${chain.hub} (${timings.contracts} ms)`);

    const privacyPlaneUrl = `http://127.0.0.1:${options.ports.privacyPlane}`;
    const privacyPlane = startNodeService({
      name: "privacy-plane",
      entry: join(REPO_ROOT, "enclave-runtime/src/main.ts"),
      env: {
        ...process.env,
        CCE4LONG_DEPLOYMENT: "development",
        PRIVACY_PLANE_PORT: String(options.ports.privacyPlane),
        // Review state and used reviewer nonces; in production this is dstack's encrypted disk.
        PRIVACY_PLANE_STATE_DIR: join(options.root, "privacy-plane"),
        // Where the local compute launcher runs boot agents (one folder per job).
        LOCAL_COMPUTE_DIR: join(options.root, "compute"),
        TRANSPARENCY_LOG_FILE: join(options.root, "transparency", "log.jsonl"),
        PRIVACY_PLANE_API_TOKEN: secrets.privacyPlaneApiToken,
        EDGE_API_URL: `http://127.0.0.1:${options.ports.edgeApi}`,
        PRIVACY_PLANE_EVENTS_SECRET: secrets.privacyPlaneEventsSecret,
        DSTACK_ENDPOINT: layout.guestAgentSocket,
        RPC_URL: anvil.rpcUrl,
        CONTRACTS_DEPLOYMENT_FILE: layout.deploymentFile,
        PUBSUB_EMULATOR_HOST: pubsub.emulatorHost,
        PUBSUB_PROJECT: pubsub.projectId,
        OBJECT_STORE_ENDPOINT: objectStoreUrl,
        OBJECT_STORE_ACCESS_KEY_ID: secrets.objectStoreAccessKeyId,
        OBJECT_STORE_SECRET_ACCESS_KEY: secrets.objectStoreSecretAccessKey,
      },
      logFile: log("privacy-plane"),
      cwd: REPO_ROOT,
      ready: httpProbe(`${privacyPlaneUrl}/healthz`),
    });
    const edgeApi = startEdgeApi({
      port: options.ports.edgeApi,
      inspectorPort: options.ports.edgeApiInspector,
      logFile: log("edge-api"),
      envFile: join(layout.run, "edge-api.env"),
      persistDir: layout.wrangler,
      repoRoot: REPO_ROOT,
      vars: {
        DEPLOYMENT: "development",
        RPC_URL: anvil.rpcUrl,
        CHAIN_ID: String(anvil.chainId),
        HUB_ADDRESS: chain.hub,
        HUB_DEPLOYED_BLOCK: String(chain.deployedBlock),
        SIWE_DOMAIN: `127.0.0.1:${options.ports.edgeApi}`,
        ALLOWED_ORIGINS: `http://127.0.0.1:${options.ports.edgeApi},http://localhost:${options.ports.edgeApi}`,
        PUBSUB_ENDPOINT: `http://${pubsub.emulatorHost}`,
        PUBSUB_PROJECT: LOCAL_PUBSUB_PROJECT,
        PUBSUB_JOBS_TOPIC: TOPICS.jobs,
        PUBSUB_INGEST_TOPIC: TOPICS.ingest,
        OBJECT_STORE_ENDPOINT: objectStoreUrl,
        OBJECT_STORE_ACCESS_KEY_ID: secrets.objectStoreAccessKeyId,
        OBJECT_STORE_SECRET_ACCESS_KEY: secrets.objectStoreSecretAccessKey,
        PRIVACY_PLANE_URL: privacyPlaneUrl,
        TOKEN_SECRET: secrets.edgeTokenSecret,
        PRIVACY_PLANE_API_TOKEN: secrets.privacyPlaneApiToken,
        PRIVACY_PLANE_EVENTS_SECRET: secrets.privacyPlaneEventsSecret,
      },
    });
    // Track each as soon as it is up, so a failure of one still stops the other.
    const [edge] = await settleAll([track("edge-api", edgeApi), track("privacy-plane", privacyPlane)]);

    const endpoints: StackEndpoints = {
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      pubsubEmulatorHost: pubsub.emulatorHost,
      pubsubProject: pubsub.projectId,
      objectStore: objectStoreUrl,
      edgeApi: edge.url,
      privacyPlane: privacyPlaneUrl,
      guestAgentSocket: layout.guestAgentSocket,
      deploymentFile: layout.deploymentFile,
      hubAddress: chain.hub,
    };
    writeFileSync(
      layout.stackRecord,
      `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), endpoints }, null, 2)}\n`,
      { mode: 0o600 },
    );
    return {
      layout,
      endpoints,
      startMs: Math.round(performance.now() - t0),
      timings,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
