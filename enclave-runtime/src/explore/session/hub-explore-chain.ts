/**
 * The ExploreChain over the deployed cce4long hub (runs inside the TEE): reads through a viem public
 * client and records as the Privacy Plane's chain-recorder account. Writes are serialized (one nonce
 * sequence); a process that also records jobs with the same account should share one writer queue.
 */
import { Cce4longError, cce4longHubAbi, type Deployment } from "@cce4long/protocol";
import {
  type Account,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
} from "viem";
import type { ExploreChain } from "./explore-chain";

export interface HubExploreChainOptions {
  rpcUrl: string;
  deployment: Deployment;
  recorder: Account;
  pollingIntervalMs?: number;
}

export function createHubExploreChain(options: HubExploreChainOptions): ExploreChain {
  const chain: Chain = defineChain({
    id: options.deployment.chainId,
    name: `cce4long-${options.deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const transport = http(options.rpcUrl);
  const pollingInterval = options.pollingIntervalMs ?? 50;
  const reader = createPublicClient({ chain, transport, pollingInterval });
  const writer = createWalletClient({ chain, transport, account: options.recorder, pollingInterval });
  const address = options.deployment.contracts.hub.address;

  let queue: Promise<unknown> = Promise.resolve();
  const record = (functionName: string, args: readonly unknown[]): Promise<Hex> => {
    const next = queue.then(async () => {
      try {
        const { request } = await reader.simulateContract({
          address,
          abi: cce4longHubAbi,
          functionName,
          args,
          account: options.recorder,
        } as never);
        const hash = await writer.writeContract(request as never);
        const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval });
        if (receipt.status !== "success") {
          throw new Cce4longError("CHAIN_REVERTED", "Chain call reverted", {
            detail: { functionName, hash },
          });
        }
        return hash;
      } catch (cause) {
        throw chainError(functionName, cause);
      }
    });
    queue = next.catch(() => {});
    return next;
  };

  return {
    async exploreTerms(datasetId) {
      try {
        const dataset = await reader.readContract({
          address,
          abi: cce4longHubAbi,
          functionName: "getDataset",
          args: [datasetId],
        });
        return {
          exploreOffered: dataset.terms.exploreOffered,
          freePreview: dataset.terms.freePreview,
          retired: dataset.retired,
        };
      } catch (cause) {
        if (revertName(cause) !== undefined) return undefined;
        throw chainError("getDataset", cause);
      }
    },
    async isRentalActive(datasetId, consumer) {
      try {
        return await reader.readContract({
          address,
          abi: cce4longHubAbi,
          functionName: "isRentalActive",
          args: [datasetId, consumer],
        });
      } catch (cause) {
        throw chainError("isRentalActive", cause);
      }
    },
    recordOpened: (datasetId, sessionId, consumer) =>
      record("recordExploreSessionOpened", [datasetId, sessionId, consumer]),
    recordClosed: (datasetId, sessionId, reason) =>
      record("recordExploreSessionClosed", [datasetId, sessionId, reason]),
  };
}

function revertName(cause: unknown): string | undefined {
  if (!(cause instanceof BaseError)) return undefined;
  const reverted = cause.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError
    ? (reverted.data?.errorName ?? "unknown")
    : undefined;
}

function chainError(functionName: string, cause: unknown): Cce4longError {
  if (cause instanceof Cce4longError) return cause;
  const reverted = revertName(cause);
  if (reverted) {
    return new Cce4longError("CHAIN_REVERTED", "Chain call reverted", {
      cause,
      detail: { functionName, error: reverted },
    });
  }
  return new Cce4longError("CHAIN_UNREACHABLE", "Chain unreachable", {
    cause,
    detail: { functionName, problem: cause instanceof Error ? cause.message.split("\n")[0] : String(cause) },
  });
}
