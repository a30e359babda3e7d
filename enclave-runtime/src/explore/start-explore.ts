/**
 * Wires Explore Mode into the Privacy Plane (runs inside the TEE): the session manager over the hub, the
 * object store and the shared keyring, its routes, and the WebSocket upgrade listener for the notebook
 * proxy. main.ts calls this once, mounts `routes`, adds `upgrade` to the HTTP server and calls `stop`.
 */

import { mkdirSync, readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { parseDeployment } from "@cce4long/protocol";
import { gatePolicySchema } from "@cce4long/protocol/gate/policy";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { decryptBuffer } from "@cce4long/sealing";
import type { DatasetKeyring } from "@cce4long/sealing/keys/keyring";
import type { KeyProvider } from "@cce4long/sealing/keys/types";
import type { Hono } from "hono";
import { toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { PrivacyPlaneConfig } from "../config";
import { deserializeFingerprintIndex } from "../gate/fingerprints/index";
import { exploreRoutes, exploreUpgradeHandler } from "../http/explore-routes";
import { fingerprintVersionKey } from "../ingest/derived";
import { objectStoreFromConfig } from "../ingest/object-store";
import type { DatasetPolicies } from "../policies/dataset-policies";
import type { ReviewService } from "../review/review-service";
import { ExploreSessions } from "./session/explore-sessions";
import { createHubExploreChain } from "./session/hub-explore-chain";
import { latestVersionReader } from "./session/latest-manifest";
import { manifestSampleSource } from "./session/sample-source";

type Log = (event: string, fields: Record<string, unknown>) => void;

export interface ExploreService {
  routes: Hono[];
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  stop(): Promise<void>;
}

export async function startExplore(
  config: PrivacyPlaneConfig,
  log: Log,
  shared: {
    keys: KeyProvider;
    keyring: DatasetKeyring;
    policies?: Pick<DatasetPolicies, "resolve">;
    /** The review service exports the gate holds for review are queued with. */
    reviews?: Pick<ReviewService, "acceptExploreExport">;
  },
): Promise<ExploreService> {
  if (config.EXPLORE_ENABLED !== "true") {
    return { routes: [], upgrade: (_req, socket) => socket.destroy(), stop: async () => {} };
  }
  const deployment = parseDeployment(JSON.parse(readFileSync(config.CONTRACTS_DEPLOYMENT_FILE, "utf8")));
  const recorderKey = await shared.keys.signingKey("chain-recorder");
  const recorder = privateKeyToAccount(toHex(recorderKey.privateKey));
  recorderKey.wipe();
  const store = objectStoreFromConfig(config);
  const latestVersion = latestVersionReader({ rpcUrl: config.RPC_URL, deployment, store });
  const stateDir = config.EXPLORE_STATE_DIR ?? join(tmpdir(), "cce4long-explore");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const sessions = new ExploreSessions({
    chain: createHubExploreChain({ rpcUrl: config.RPC_URL, deployment, recorder }),
    samples: manifestSampleSource({ store, latestVersion }),
    keys: shared.keyring,
    async gateFor(datasetId, { manifest }) {
      // The provider's signed gate policy (the ACRO defaults without one), as for job outputs.
      const resolved = await shared.policies?.resolve(datasetId, "gate");
      const entry = manifest.entries.find((e) => e.kind === "fingerprints");
      const sealed = entry && (await store.getBytes(BUCKETS.datasets, entry.objectKey));
      if (!entry || !sealed) throw new Error("the dataset version has no fingerprint index");
      const key = await shared.keyring.keyForRead(datasetId, entry.keyVersion);
      const versionKey = fingerprintVersionKey(key.key, datasetId, manifest.uploadId);
      try {
        const { plaintext } = decryptBuffer(sealed, key.key);
        return {
          policy: resolved?.policy ?? gatePolicySchema.parse({}),
          fingerprints: deserializeFingerprintIndex(plaintext, versionKey),
          policyRolledBack: resolved?.rolledBack === true,
        };
      } finally {
        versionKey.fill(0);
        key.wipe();
      }
    },
    ...(shared.reviews ? { reviews: shared.reviews } : {}),
    stateDir,
    sessionSeconds: config.EXPLORE_SESSION_SECONDS,
    maxSessions: config.EXPLORE_MAX_SESSIONS,
    jupyterBin: config.EXPLORE_JUPYTER_BIN,
    log,
  });
  const options = {
    sessions,
    publicUrl: (
      config.PRIVACY_PLANE_PUBLIC_URL ?? `http://${config.PRIVACY_PLANE_HOST}:${config.PRIVACY_PLANE_PORT}`
    ).replace(/\/+$/, ""),
    apiToken: config.PRIVACY_PLANE_API_TOKEN,
  };
  log("explore.ready", { stateDir, sessionSeconds: config.EXPLORE_SESSION_SECONDS });
  return {
    routes: [exploreRoutes(options)],
    upgrade: exploreUpgradeHandler(options),
    stop: () => sessions.closeAll(),
  };
}
