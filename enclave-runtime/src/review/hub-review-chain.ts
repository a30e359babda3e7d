/**
 * The ReviewChain over the deployed cce4long hub (runs inside the TEE): reads through a viem public
 * client; records as the Privacy Plane's "chain-recorder" account, one transaction at a time (one
 * account, one nonce sequence). Share the recorder Account (with a viem nonceManager) with the other
 * chain writers of the process so their nonces cannot collide.
 */
import { Cce4longError, cce4longHubAbi, type Deployment, type JobStatus } from "@cce4long/protocol";
import {
  type Account,
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
} from "viem";
import type { ReviewChain } from "./review-chain";

export interface HubReviewChainOptions {
  rpcUrl: string;
  deployment: Deployment;
  recorder: Account;
  pollingIntervalMs?: number;
}

export function createHubReviewChain(options: HubReviewChainOptions): ReviewChain {
  const chain = defineChain({
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
  const fromBlock = BigInt(options.deployment.contracts.hub.deployedBlock);
  const read = <T>(functionName: string, args: readonly unknown[]): Promise<T> =>
    (reader.readContract({ address, abi: cce4longHubAbi, functionName, args } as never) as Promise<T>).catch(
      (cause: unknown) => {
        throw chainError(functionName, cause);
      },
    );

  let queue: Promise<unknown> = Promise.resolve();
  const record = (functionName: string, args: readonly unknown[]): Promise<Hex> => {
    const next = queue.then(() =>
      withNonceRetry(async () => {
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
      }),
    );
    queue = next.catch(() => {});
    return next;
  };

  return {
    async getJob(jobId) {
      const status = await read<number>("jobStatus", [jobId]);
      if (status === 0) return undefined;
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
        status: job.status as JobStatus,
        datasetVersion: Number(job.datasetVersion),
        datasetId: job.datasetId,
        imageDigest: job.imageDigest,
        specCommitment: job.specCommitment,
        resultPublicKey: job.resultPublicKey,
      };
    },
    jobStatus: async (jobId) => (await read<number>("jobStatus", [jobId])) as JobStatus,
    isReviewer: (datasetId, account) => read<boolean>("isReviewer", [datasetId, account]),
    datasetVersionRoot: (datasetId, version) => read<Hex>("datasetVersionRoot", [datasetId, version]),
    async keyReleasedMeasurement(datasetId, jobId) {
      try {
        const logs = await reader.getContractEvents({
          address,
          abi: cce4longHubAbi,
          eventName: "JobKeyReleased",
          args: { datasetId, jobId },
          fromBlock,
          strict: true,
        });
        return (logs.at(-1)?.args as { measurementId?: Hex } | undefined)?.measurementId;
      } catch (cause) {
        throw chainError("getLogs(JobKeyReleased)", cause);
      }
    },
    recordOutputsSubmitted: (jobId, commitment) => record("recordJobOutputsSubmitted", [jobId, commitment]),
    recordOutputDecision: (jobId, decision, reviewer, decisionHash) =>
      record("recordJobOutputDecision", [jobId, decision, reviewer, decisionHash]),
    recordResultReleased: (jobId, manifestHash) => record("recordJobResultReleased", [jobId, manifestHash]),
    recordFailed: (jobId, reason) => record("recordJobFailed", [jobId, reason]),
  };
}

/**
 * Other writers of the process (dispatch, key release) send as the same recorder account through
 * their own client; when both pick the same nonce, one is refused. Such a refusal is retried.
 */
async function withNonceRetry<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const problem = error instanceof Cce4longError ? String(error.detail?.problem ?? "") : "";
      if (attempt >= 3 || !/nonce|replacement transaction/i.test(problem)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

function chainError(functionName: string, cause: unknown): Cce4longError {
  if (cause instanceof Cce4longError) return cause;
  if (cause instanceof BaseError) {
    const reverted = cause.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      return new Cce4longError("CHAIN_REVERTED", "Chain call reverted", {
        cause,
        detail: { functionName, error: reverted.data?.errorName ?? "unknown" },
      });
    }
  }
  return new Cce4longError("CHAIN_UNREACHABLE", "Chain unreachable", {
    cause,
    detail: { functionName, problem: cause instanceof Error ? cause.message.split("\n")[0] : String(cause) },
  });
}
