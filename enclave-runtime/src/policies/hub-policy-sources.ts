/**
 * Where the Privacy Plane's dataset policies come from (runs inside the TEE): the documents from the
 * public algorithms bucket (untrusted, like the edge that wrote them) and each dataset's current
 * provider from the hub contract, which is what a document's signature is checked against.
 */
import { readFileSync } from "node:fs";
import { cce4longHubAbi, type Deployment, parseDeployment } from "@cce4long/protocol";
import { type PolicyKind, policyObjectKey } from "@cce4long/protocol/api/policies";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { createPublicClient, type Hex, http } from "viem";
import { hubChainError, revertName } from "../chain/hub-writer";
import type { PrivacyPlaneConfig } from "../config";
import { type ObjectStore, objectStoreFromConfig } from "../ingest/object-store";
import { createDatasetPolicies, type DatasetPolicies } from "./dataset-policies";
import { FilePolicyMemory } from "./file-policy-memory";
import type { PolicyMemory } from "./policy-memory";

export interface HubPolicySourcesOptions {
  rpcUrl: string;
  deployment: Deployment;
  store: Pick<ObjectStore, "getBytes">;
  log: (event: string, fields: Record<string, unknown>) => void;
  memory?: PolicyMemory;
}

export function hubDatasetPolicies(options: HubPolicySourcesOptions): DatasetPolicies {
  const reader = createPublicClient({ transport: http(options.rpcUrl) });
  const hub = options.deployment.contracts.hub.address;
  return createDatasetPolicies({
    chainId: options.deployment.chainId,
    hub,
    log: options.log,
    ...(options.memory === undefined ? {} : { memory: options.memory }),
    async fetchDocument(datasetId: string, kind: PolicyKind) {
      const bytes = await options.store.getBytes(BUCKETS.algorithms, policyObjectKey(datasetId, kind));
      if (bytes === null) return null;
      try {
        return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
      } catch {
        return { unparsable: true }; // fails the document schema: defaults, logged
      }
    },
    async providerOf(datasetId: string) {
      try {
        const dataset = await reader.readContract({
          address: hub,
          abi: cce4longHubAbi,
          functionName: "getDataset",
          args: [datasetId as Hex],
        });
        return dataset.provider;
      } catch (cause) {
        if (revertName(cause) !== undefined) return null;
        throw hubChainError("getDataset", cause);
      }
    },
  });
}

/**
 * The process's one policy reader (main.ts shares it between the gate, Explore exports and ingest). With
 * a state folder, what it accepted is remembered there and survives a restart; without one (some local
 * test stacks) only for the process's lifetime.
 */
export function datasetPoliciesFromConfig(
  config: PrivacyPlaneConfig,
  log: HubPolicySourcesOptions["log"],
): DatasetPolicies {
  return hubDatasetPolicies({
    rpcUrl: config.RPC_URL,
    deployment: parseDeployment(JSON.parse(readFileSync(config.CONTRACTS_DEPLOYMENT_FILE, "utf8"))),
    store: objectStoreFromConfig(config),
    log,
    ...(config.PRIVACY_PLANE_STATE_DIR
      ? { memory: new FilePolicyMemory(config.PRIVACY_PLANE_STATE_DIR) }
      : {}),
  });
}
