/**
 * Wires ingest into the Privacy Plane (runs inside the TEE): GET /v1/ingest-key with its quote, and the
 * consumer of SUBSCRIPTIONS.ingest that turns completed uploads into committed dataset versions.
 * main.ts calls this once and mounts the returned routes.
 */
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isCce4longError, parseDeployment } from "@cce4long/protocol";
import { SUBSCRIPTIONS } from "@cce4long/protocol/queue/topics";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { DstackKeyProvider } from "@cce4long/sealing/keys/dstack-key-provider";
import { InMemoryKeyVersionStore } from "@cce4long/sealing/keys/key-version-store";
import { DatasetKeyring } from "@cce4long/sealing/keys/keyring";
import type { DatasetKey, KeyProvider, X25519KeyPair } from "@cce4long/sealing/keys/types";
import { PubSub } from "@google-cloud/pubsub";
import { DstackClient } from "@phala/dstack-sdk";
import type { Hono } from "hono";
import { toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { PrivacyPlaneConfig } from "../config";
import { ingestKeyRoutes } from "../http/ingest-key";
import type { DatasetPolicies } from "../policies/dataset-policies";
import { chainVersions } from "./chain-versions";
import { DEFAULT_DERIVED_BUILDERS, derivedBuilders } from "./derived";
import { type IngestConsumer, startIngestConsumer } from "./ingest-consumer";
import { ingestUpload } from "./ingest-upload";
import { objectStoreFromConfig } from "./object-store";
import { type StagingSweeper, startStagingSweeper } from "./staging-sweeper";

type Log = (event: string, fields: Record<string, unknown>) => void;

export interface IngestService {
  routes: Hono[];
  stop(): Promise<void>;
}

export interface IngestServiceOptions {
  /** Share the Privacy Plane's keyring so that ingest and key release see the same key versions. */
  keyring?: DatasetKeyring;
  keys?: KeyProvider;
  /** The provider's signed Explore sample policies; without it, the default policy. */
  policies?: Pick<DatasetPolicies, "samplePolicy">;
}

export async function startIngest(
  config: PrivacyPlaneConfig,
  log: Log,
  options: IngestServiceOptions = {},
): Promise<IngestService> {
  if (config.INGEST_ENABLED !== "true") return { routes: [], stop: async () => {} };
  const keys = options.keys ?? new DstackKeyProvider({ endpoint: config.DSTACK_ENDPOINT });
  const keyring =
    options.keyring ?? new DatasetKeyring({ provider: keys, store: new InMemoryKeyVersionStore() });
  const dstack = new DstackClient(config.DSTACK_ENDPOINT);
  // The ingest key pair is needed for every upload: derived once, held for the process lifetime.
  const ingestPair: X25519KeyPair = await keys.ingestKeyPair();
  const routes = [
    ingestKeyRoutes({
      deployment: config.CCE4LONG_DEPLOYMENT,
      ingestKeyPair: async () => ingestPair,
      quote: async (reportData) =>
        Buffer.from((await dstack.getQuote(reportData)).quote.replace(/^0x/, ""), "hex"),
      now: () => new Date(),
    }),
  ];

  const deployment = parseDeployment(JSON.parse(readFileSync(config.CONTRACTS_DEPLOYMENT_FILE, "utf8")));
  const recorderKey = await keys.signingKey("chain-recorder");
  const account = privateKeyToAccount(toHex(recorderKey.privateKey));
  recorderKey.wipe();
  const store = objectStoreFromConfig(config);
  const deps = {
    store,
    buckets: { staging: BUCKETS.staging, datasets: BUCKETS.datasets },
    datasetKeyForWrite: (datasetId: string) => datasetKeyForWrite(keyring, datasetId),
    ingestPrivateKey: async (version: number) => {
      if (version === ingestPair.version) return Uint8Array.from(ingestPair.privateKey);
      const other = await keys.ingestKeyPair(version);
      const copy = Uint8Array.from(other.privateKey);
      other.wipe();
      return copy;
    },
    chain: chainVersions({ rpcUrl: config.RPC_URL, deployment, account }),
    signatureDomain: { chainId: deployment.chainId, hub: deployment.contracts.hub.address },
    derived: options.policies
      ? derivedBuilders((datasetId) => options.policies!.samplePolicy(datasetId))
      : DEFAULT_DERIVED_BUILDERS,
    log,
    now: () => new Date(),
    tempDir: config.INGEST_TEMP_DIR ?? tmpdir(),
    write: { partSize: config.INGEST_PART_BYTES, maxInFlight: config.INGEST_PARTS_IN_FLIGHT },
  };

  const pubsub = new PubSub({
    projectId: config.PUBSUB_PROJECT,
    ...(config.PUBSUB_EMULATOR_HOST ? { apiEndpoint: config.PUBSUB_EMULATOR_HOST, emulatorMode: true } : {}),
  });
  // One upload at a time: ingest is I/O and crypto bound, and memory is budgeted per upload.
  const subscription = pubsub.subscription(SUBSCRIPTIONS.ingest.name, {
    flowControl: { maxMessages: 1, allowExcessMessages: false },
  });
  const consumer: IngestConsumer = startIngestConsumer({
    subscription,
    log,
    ingest: (message) => ingestUpload(deps, message),
  });
  log("ingest.listening", { subscription: SUBSCRIPTIONS.ingest.name, recorder: account.address });
  const sweeper: StagingSweeper | undefined =
    config.STAGING_SWEEP_INTERVAL_SECONDS > 0
      ? startStagingSweeper(
          {
            store,
            buckets: deps.buckets,
            now: () => new Date(),
            graceSeconds: config.STAGING_SWEEP_GRACE_SECONDS,
            log,
          },
          config.STAGING_SWEEP_INTERVAL_SECONDS,
        )
      : undefined;

  return {
    routes,
    async stop() {
      await sweeper?.stop();
      await consumer.stop();
      await pubsub.close();
      ingestPair.wipe();
    },
  };
}

/** The current key of a dataset, starting it at version 1 on its first upload. */
export async function datasetKeyForWrite(keyring: DatasetKeyring, datasetId: string): Promise<DatasetKey> {
  try {
    return await keyring.keyForWrite(datasetId);
  } catch (error) {
    if (!isCce4longError(error) || error.code !== "NOT_FOUND") throw error;
    return keyring.createDataset(datasetId).catch((raced: unknown) => {
      if (isCce4longError(raced) && raced.code === "CONFLICT") return keyring.keyForWrite(datasetId);
      throw raced;
    });
  }
}
