/**
 * Dataset versions on the hub contract (runs inside the TEE): reads the dataset, finds a committed
 * manifest root, commits a new one with the Privacy Plane's authorized chain-recorder key. A commit
 * first waits for any of the recorder's transactions still pending, so a retry after a lost answer
 * sees the earlier commit instead of sending a second one.
 */
import { Cce4longError, cce4longHubAbi, type Deployment } from "@cce4long/protocol";
import {
  type Account,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  defineChain,
  type Hex,
  http,
  parseEventLogs,
} from "viem";
import { createHubWriter } from "../chain/hub-writer";
import type { DatasetVersionChain } from "./ingest-upload";

export interface ChainVersionsOptions {
  rpcUrl: string;
  deployment: Deployment;
  /** The chain-recorder account (authorized on-chain as a Privacy Plane signer). */
  account: Account;
  /** How many of the newest versions to search for a root (older ones cannot be this upload's retry). */
  searchDepth?: number;
}

export function chainVersions(options: ChainVersionsOptions): DatasetVersionChain {
  const chain = defineChain({
    id: options.deployment.chainId,
    name: `chain-${options.deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const reader = createPublicClient({ chain, transport: http(options.rpcUrl) });
  const recorder = createHubWriter({
    rpcUrl: options.rpcUrl,
    deployment: options.deployment,
    recorder: options.account,
  });
  const hub = options.deployment.contracts.hub.address;
  const depth = options.searchDepth ?? 256;

  const getDataset = async (datasetId: string) => {
    try {
      return await reader.readContract({
        address: hub,
        abi: cce4longHubAbi,
        functionName: "getDataset",
        args: [datasetId as Hex],
      });
    } catch (error) {
      if (revertName(error) === "DatasetsUnknownDataset") return null;
      throw unreachable(error);
    }
  };

  return {
    async dataset(datasetId) {
      const found = await getDataset(datasetId);
      return found === null ? null : { provider: found.provider, retired: found.retired };
    },

    async findVersion(datasetId, root) {
      const found = await getDataset(datasetId);
      if (found === null) return null;
      const newest = Number(found.versionCount);
      for (let version = newest; version >= 1 && version > newest - depth; version--) {
        const stored = await reader
          .readContract({
            address: hub,
            abi: cce4longHubAbi,
            functionName: "datasetVersionRoot",
            args: [datasetId as Hex, version],
          })
          .catch((error: unknown) => {
            throw unreachable(error);
          });
        if (stored.toLowerCase() === root.toLowerCase()) return { version };
      }
      return null;
    },

    async commitVersion(datasetId, root) {
      await waitForPending(reader, options.account.address);
      // A retry may race a commit that was mined meanwhile: look once more right before sending.
      const again = await this.findVersion(datasetId, root);
      if (again !== null) return { version: again.version, transactionHash: null };
      let hash: Hex;
      try {
        // Through the process-wide recorder queue (chain/hub-writer.ts): no nonce race with the
        // Privacy Plane's other records.
        hash = await recorder.record("commitDatasetVersion", [datasetId as Hex, root as Hex]);
      } catch (error) {
        const name =
          error instanceof Cce4longError && error.code === "CHAIN_REVERTED" ? error.detail?.error : undefined;
        if (name !== undefined) {
          throw new Cce4longError(
            "UPLOAD_STATE_INVALID",
            `the chain refused the dataset version (${String(name)})`,
            {
              cause: error,
            },
          );
        }
        throw unreachable(error);
      }
      const receipt = await reader.getTransactionReceipt({ hash }).catch((error: unknown) => {
        throw unreachable(error);
      });
      const [event] = parseEventLogs({
        abi: cce4longHubAbi,
        eventName: "DatasetVersionCommitted",
        logs: receipt.logs,
      });
      if (event === undefined)
        throw new Cce4longError("CHAIN_REVERTED", "no DatasetVersionCommitted event in the receipt");
      return { version: Number(event.args.version), transactionHash: hash };
    },
  };
}

/** Waits (up to a minute) until none of `address`'s transactions is pending. */
async function waitForPending(reader: ReturnType<typeof createPublicClient>, address: Hex): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const [latest, pending] = await Promise.all([
      reader.getTransactionCount({ address, blockTag: "latest" }),
      reader.getTransactionCount({ address, blockTag: "pending" }),
    ]).catch((error: unknown) => {
      throw unreachable(error);
    });
    if (pending <= latest) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Cce4longError("CHAIN_UNREACHABLE", "earlier chain-recorder transactions are still pending");
}

function revertName(error: unknown): string | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined;
}

function unreachable(error: unknown): Cce4longError {
  return new Cce4longError("CHAIN_UNREACHABLE", "the chain could not be reached", { cause: error });
}
