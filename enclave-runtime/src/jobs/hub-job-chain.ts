/**
 * The JobChain over the deployed cce4long hub (runs inside the TEE): reads through a viem public
 * client, records as the Privacy Plane's "chain-recorder" key (the transaction sender is the recorder
 * the audit trail shows). Writes are serialized: one account, one nonce sequence, one receipt at a time.
 */
import { Cce4longError, cce4longHubAbi, type Deployment, JobStatus } from "@cce4long/protocol";
import {
  type Account,
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
} from "viem";
import type { DatasetVersion, JobChain, OnChainJob } from "./job-chain";

export interface HubJobChainOptions {
  rpcUrl: string;
  deployment: Deployment;
  /** The chain-recorder account (a viem local account made from the derived key). */
  recorder: Account;
  /** Receipt polling; anvil mines at once, so a short interval keeps records fast locally. */
  pollingIntervalMs?: number;
}

export function createHubJobChain(options: HubJobChainOptions): JobChain {
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
  const read = <T>(functionName: string, args: readonly unknown[]): Promise<T> =>
    reader
      .readContract({ address, abi: cce4longHubAbi, functionName, args } as never)
      .catch((cause: unknown) => {
        throw chainError(functionName, cause);
      }) as Promise<T>;

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
    async getJob(jobId) {
      const status = await read<number>("jobStatus", [jobId]);
      if (status === JobStatus.None) return undefined;
      const job = await read<{
        consumer: Address;
        status: number;
        datasetVersion: number;
        datasetId: Hex;
        imageDigest: Hex;
        specCommitment: Hex;
        resultPublicKey: Hex;
      }>("getJob", [jobId]);
      return {
        jobId,
        consumer: job.consumer,
        status: job.status as OnChainJob["status"],
        datasetVersion: Number(job.datasetVersion),
        datasetId: job.datasetId,
        imageDigest: job.imageDigest,
        specCommitment: job.specCommitment,
        resultPublicKey: job.resultPublicKey,
      };
    },
    isRentalActive: (datasetId, consumer) => read<boolean>("isRentalActive", [datasetId, consumer]),
    isImageDigestAllowed: (datasetId, digest) => read<boolean>("isImageDigestAllowed", [datasetId, digest]),
    isMeasurementAllowed: (datasetId, id) => read<boolean>("isMeasurementAllowed", [datasetId, id]),
    async latestDatasetVersion(datasetId): Promise<DatasetVersion | undefined> {
      let versionCount: number;
      try {
        const dataset = await reader.readContract({
          address,
          abi: cce4longHubAbi,
          functionName: "getDataset",
          args: [datasetId],
        });
        versionCount = Number(dataset.versionCount);
      } catch (cause) {
        if (revertName(cause)) return undefined;
        throw chainError("getDataset", cause);
      }
      if (versionCount === 0) return undefined;
      const manifestRoot = await read<Hex>("datasetVersionRoot", [datasetId, versionCount]);
      return { version: versionCount, manifestRoot };
    },
    recordDispatched: (jobId, version) => record("recordJobDispatched", [jobId, version]),
    recordKeyReleased: (jobId, measurementId) => record("recordJobKeyReleased", [jobId, measurementId]),
    recordOutputsSubmitted: (jobId, commitment) => record("recordJobOutputsSubmitted", [jobId, commitment]),
    recordFailed: (jobId, reason) => record("recordJobFailed", [jobId, reason]),
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
