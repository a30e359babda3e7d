/**
 * The Privacy Plane's one way to read and record on the cce4long hub (runs inside the TEE). Every
 * record is sent as the "chain-recorder" account, and every record of the process — dispatch, key
 * release, ingest, review, Explore — goes through ONE queue per recorder address: one nonce sequence,
 * one transaction mined at a time, so two parts of the Privacy Plane can never race for a nonce.
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
  type PublicClient,
} from "viem";

export interface HubWriterOptions {
  rpcUrl: string;
  deployment: Deployment;
  /** The chain-recorder account (a viem local account made from the derived key). */
  recorder: Account;
  /** Receipt polling; anvil mines at once, so a short interval keeps records fast locally. */
  pollingIntervalMs?: number;
}

export interface HubWriter {
  readonly reader: PublicClient;
  readonly address: Hex;
  readonly fromBlock: bigint;
  read<T>(functionName: string, args: readonly unknown[]): Promise<T>;
  /** Simulates (so a revert names its error), sends, waits for the receipt; serialized process-wide. */
  record(functionName: string, args: readonly unknown[]): Promise<Hex>;
}

/** The tail of each recorder's queue, shared by every writer in the process. */
const queues = new Map<string, Promise<unknown>>();

function enqueue<T>(recorder: string, task: () => Promise<T>): Promise<T> {
  const key = recorder.toLowerCase();
  const next = (queues.get(key) ?? Promise.resolve()).then(task);
  queues.set(
    key,
    next.catch(() => {}),
  );
  return next;
}

export function createHubWriter(options: HubWriterOptions): HubWriter {
  const chain: Chain = defineChain({
    id: options.deployment.chainId,
    name: `cce4long-${options.deployment.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const transport = http(options.rpcUrl);
  const pollingInterval = options.pollingIntervalMs ?? 50;
  const reader = createPublicClient({ chain, transport, pollingInterval }) as PublicClient;
  const writer = createWalletClient({ chain, transport, account: options.recorder, pollingInterval });
  const address = options.deployment.contracts.hub.address as Hex;

  return {
    reader,
    address,
    fromBlock: BigInt(options.deployment.contracts.hub.deployedBlock),
    read: <T>(functionName: string, args: readonly unknown[]) =>
      (
        reader.readContract({ address, abi: cce4longHubAbi, functionName, args } as never) as Promise<T>
      ).catch((cause: unknown) => {
        throw hubChainError(functionName, cause);
      }),
    record: (functionName, args) =>
      enqueue(options.recorder.address, async () => {
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
          throw hubChainError(functionName, cause);
        }
      }),
  };
}

/** A revert becomes CHAIN_REVERTED with the contract's error name in the log detail; else CHAIN_UNREACHABLE. */
export function hubChainError(functionName: string, cause: unknown): Cce4longError {
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

/** The contract error a call reverted with, or undefined if it did not revert. */
export function revertName(cause: unknown): string | undefined {
  if (!(cause instanceof BaseError)) return undefined;
  const reverted = cause.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError
    ? (reverted.data?.errorName ?? "unknown")
    : undefined;
}
