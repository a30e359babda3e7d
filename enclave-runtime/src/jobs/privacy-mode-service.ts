/**
 * Wires Privacy Mode into the Privacy Plane (runs inside the TEE): keys from the dstack guest API, the
 * hub on the chain, the job queue, the compute launcher, key release and output intake. main.ts calls
 * this once with the parsed config and mounts the returned route groups.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { isCce4longError, parseDeployment } from "@cce4long/protocol";
import { SUBSCRIPTIONS } from "@cce4long/protocol/queue/topics";
import { memoryLogStore } from "@cce4long/protocol/transparency/log";
import type { DatasetKeyring } from "@cce4long/sealing/keys/keyring";
import type { KeyProvider } from "@cce4long/sealing/keys/types";
import { PubSub } from "@google-cloud/pubsub";
import type { Hono } from "hono";
import { createPublicClient, type Hex, http, toHex } from "viem";
import { privateKeyToAccount, signMessage } from "viem/accounts";
import { createQuoteVerifier } from "../attestation/create-quote-verifier";
import { CollateralCache } from "../attestation/tdx/collateral-cache";
import { parseGceLauncherConfig } from "../compute/gce/config";
import { createGceComputeLauncher } from "../compute/gce/create";
import type { ComputeLauncher } from "../compute/launcher";
import { LocalComputeLauncher, REPO_ROOT } from "../compute/local-launcher";
import { computeLauncherKind, gceEnvironment, type PrivacyPlaneConfig } from "../config";
import { InMemoryNonceStore } from "../credentials/nonce-store";
import { createJobMessageHandler } from "../dispatch/handle-job-message";
import { type JobQueueConsumer, startJobQueueConsumer } from "../dispatch/job-queue-consumer";
import { JobTracker } from "../dispatch/job-tracker";
import { FileTrackerJournal } from "../dispatch/tracker-journal";
import { jobOutputRoutes } from "../http/job-output-routes";
import { keyReleaseRoutes } from "../http/key-release-routes";
import { objectStoreFromConfig } from "../ingest/object-store";
import { objectStoreLowerLayerSource } from "../key-release/lower-layer-source";
import { fileLogStore } from "../transparency/file-log-store";
import { onChainLogHead, storeProofSource } from "../transparency/log-sources";
import { createHubJobChain } from "./hub-job-chain";
import { OutputInbox } from "./output-inbox";
import { createObjectStoreSpecSource } from "./spec-source";

type Log = (event: string, fields: Record<string, unknown>) => void;

export interface PrivacyModeService {
  routes: Hono[];
  inbox: OutputInbox;
  stop(): Promise<void>;
}

export async function startPrivacyMode(
  config: PrivacyPlaneConfig,
  env: Record<string, string | undefined>,
  log: Log,
  shared: { keys: KeyProvider; keyring: DatasetKeyring },
): Promise<PrivacyModeService> {
  const { keys, keyring } = shared;
  const deployment = parseDeployment(JSON.parse(readFileSync(config.CONTRACTS_DEPLOYMENT_FILE, "utf8")));
  // Held for the process lifetime (each is needed on every dispatch or key release); derived, never stored.
  const recorderKey = await keys.signingKey("chain-recorder");
  const recorder = privateKeyToAccount(toHex(recorderKey.privateKey));
  recorderKey.wipe();
  const credentialKey = await keys.signingKey("job-credential");
  const credentialPrivateKey = toHex(credentialKey.privateKey);
  const credentialIssuer = credentialKey.address;
  credentialKey.wipe();
  const gateKey = await keys.gateOutputKeyPair();
  const gatePublic = { publicKey: gateKey.publicKey, version: gateKey.version };
  gateKey.wipe();

  const chain = createHubJobChain({ rpcUrl: config.RPC_URL, deployment, recorder });
  const specs = createObjectStoreSpecSource({
    endpoint: config.OBJECT_STORE_ENDPOINT,
    region: config.OBJECT_STORE_REGION,
    accessKeyId: config.OBJECT_STORE_ACCESS_KEY_ID,
    secretAccessKey: config.OBJECT_STORE_SECRET_ACCESS_KEY,
  });
  const credentialDomain = { chainId: deployment.chainId, hub: deployment.contracts.hub.address };
  const publicUrl =
    config.PRIVACY_PLANE_PUBLIC_URL ?? `http://${config.PRIVACY_PLANE_HOST}:${config.PRIVACY_PLANE_PORT}`;
  const launcher = buildLauncher(config, env, publicUrl, log);
  const tracker = new JobTracker({
    chain,
    launcher,
    log,
    keyReleaseTimeoutMs: config.KEY_RELEASE_TIMEOUT_SECONDS * 1000,
    jobGraceMs: config.JOB_GRACE_SECONDS * 1000,
    ...(config.PRIVACY_PLANE_STATE_DIR
      ? { journal: new FileTrackerJournal(config.PRIVACY_PLANE_STATE_DIR) }
      : {}),
  });
  // Jobs a previous process launched: their deadlines run on, their outputs are still accepted.
  const restored = await tracker.restore();
  if (restored > 0) log("dispatch.restored", { jobs: restored });
  const inbox = new OutputInbox();
  inbox.onReceived((outputs) =>
    // The Output Gate (gate/checkOutputs) takes them from the inbox; its review queue is wired separately.
    log("gate.outputs-waiting", {
      jobId: outputs.jobId,
      files: outputs.files.length,
      outputsCommitment: outputs.outputsCommitment,
    }),
  );

  const datasetKey = async (datasetId: string, keyVersion: number) => {
    try {
      return await keyring.keyForRead(datasetId, keyVersion);
    } catch (error) {
      // DEVELOPMENT ONLY, until ingest records key versions: a dataset whose data was sealed directly
      // under version 1 (tests, demos) is adopted at version 1. Production never adopts: a dataset
      // without recorded key state has no key to release.
      if (
        config.CCE4LONG_DEPLOYMENT !== "development" ||
        keyVersion !== 1 ||
        !isCce4longError(error) ||
        error.code !== "NOT_FOUND"
      )
        throw error;
      log("key-release.dev-adopted-dataset", { datasetId });
      return keyring.createDataset(datasetId).catch(() => keyring.keyForRead(datasetId, keyVersion));
    }
  };

  const routes = [
    keyReleaseRoutes({
      deployment: config.CCE4LONG_DEPLOYMENT,
      credentialDomain,
      credentialIssuer,
      signResponse: (digest: Hex) =>
        signMessage({ message: { raw: digest }, privateKey: credentialPrivateKey }),
      nonces: new InMemoryNonceStore(),
      verifier: createQuoteVerifier({
        deployment: config.CCE4LONG_DEPLOYMENT,
        tdx: { collateral: new CollateralCache() },
      }),
      chain,
      datasetKey,
      specs,
      // The datasets bucket through the Privacy Plane's own object-store credentials (GCS HMAC keys in
      // production): the VM gets presigned GETs signed with them.
      lowerLayer: objectStoreLowerLayerSource({ store: objectStoreFromConfig(config) }),
      transparency: {
        head: onChainLogHead(
          createPublicClient({ transport: http(config.RPC_URL) }),
          deployment.contracts.hub.address,
        ),
        // No log configured: an empty log, so every key release is refused (fail closed).
        log: storeProofSource(
          config.TRANSPARENCY_LOG_FILE ? fileLogStore(config.TRANSPARENCY_LOG_FILE) : memoryLogStore(),
        ),
      },
      gateOutputKey: async () => gatePublic,
      hooks: tracker,
      now: () => new Date(),
      log,
    }),
    jobOutputRoutes({
      credentialDomain,
      credentialIssuer,
      tracker,
      chain,
      inbox,
      gateOutputKeyPair: (version) => keys.gateOutputKeyPair(version),
      log,
    }),
  ];

  let consumer: JobQueueConsumer | undefined;
  if (config.DISPATCH_ENABLED === "true") {
    const pubsub = new PubSub({
      projectId: config.PUBSUB_PROJECT,
      ...(config.PUBSUB_EMULATOR_HOST
        ? { apiEndpoint: config.PUBSUB_EMULATOR_HOST, emulatorMode: true }
        : {}),
    });
    const subscription = pubsub.subscription(SUBSCRIPTIONS.jobs.name, { flowControl: { maxMessages: 4 } });
    consumer = startJobQueueConsumer({
      subscription,
      log,
      handle: createJobMessageHandler({
        chain,
        specs,
        launcher,
        tracker,
        credentialKey: async () => ({ privateKey: credentialPrivateKey, wipe: () => {} }),
        credentialDomain,
        credentialTtlSeconds: config.CREDENTIAL_TTL_SECONDS,
        machineProfile: "standard",
        vmGraceSeconds: config.JOB_GRACE_SECONDS,
        log,
        now: () => new Date(),
      }),
    });
    log("dispatch.listening", { subscription: SUBSCRIPTIONS.jobs.name, launcher: launcher.kind, publicUrl });
  }

  return {
    routes,
    inbox,
    async stop() {
      await consumer?.stop();
      tracker.stop();
      await tracker.settled();
      if (launcher instanceof LocalComputeLauncher) await launcher.destroyAll();
    },
  };
}

function buildLauncher(
  config: PrivacyPlaneConfig,
  env: Record<string, string | undefined>,
  publicUrl: string,
  log: Log,
): ComputeLauncher {
  if (computeLauncherKind(config) === "gce")
    return createGceComputeLauncher(parseGceLauncherConfig(gceEnvironment(env)));
  // Default: compute/ beside the stack's deployments/ folder, i.e. in the local stack's state folder.
  const computeDir =
    config.LOCAL_COMPUTE_DIR ?? join(dirname(dirname(config.CONTRACTS_DEPLOYMENT_FILE)), "compute");
  const imageDirs = config.LOCAL_IMAGE_DIRS
    ? config.LOCAL_IMAGE_DIRS.split(",").filter((dir) => dir !== "")
    : [join(computeDir, "images"), join(REPO_ROOT, "examples")];
  return new LocalComputeLauncher({
    deployment: config.CCE4LONG_DEPLOYMENT,
    privacyPlaneUrl: publicUrl,
    guestAgentEndpoint: config.DSTACK_ENDPOINT,
    computeDir,
    imageDirs,
    log,
  });
}
