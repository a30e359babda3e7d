/**
 * The SDK's chain client (runs on the user's machine): the transactions a provider, a consumer or a
 * reviewer sends themselves — register a dataset, rent, request a job, withdraw — and the reads the
 * CLI shows. Every write waits for its receipt and turns a revert into a typed error naming it.
 */
import { Cce4longError, cce4longHubAbi, datasetIdOf, jobIdOf } from "@cce4long/protocol";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type LocalAccount,
  toHex,
} from "viem";
import type { Endpoints } from "../context";

export interface DatasetTermsInput {
  /** Price of one rental period, in wei. */
  pricePerPeriod: bigint;
  periodSeconds: number;
  exploreOffered: boolean;
  freePreview: boolean;
}

export interface RegisterDatasetInput {
  metadataHash: Hex;
  metadataUri: string;
  terms: DatasetTermsInput;
  reviewers: Address[];
  /** Random by default; a fixed salt makes the dataset id predictable. */
  salt?: Hex;
}

export interface RequestJobInput {
  datasetId: Hex;
  imageDigest: Hex;
  specCommitment: Hex;
  resultPublicKey: Hex;
  salt?: Hex;
}

export function createHubClient(endpoints: Endpoints, account?: LocalAccount) {
  const chain = defineChain({
    id: endpoints.chainId,
    name: `chain-${endpoints.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [endpoints.rpcUrl] } },
  });
  const reader = createPublicClient({ chain, transport: http(endpoints.rpcUrl) });
  const wallet = account
    ? createWalletClient({ account, chain, transport: http(endpoints.rpcUrl) })
    : undefined;
  const hub = endpoints.hub;

  const requireWallet = () => {
    if (!wallet || !account)
      throw new Cce4longError("AUTH_REQUIRED", "this action sends a transaction: a wallet is needed");
    return { wallet, account };
  };

  /** Simulates (so a revert is reported with its custom error), sends, and waits for the receipt. */
  async function write(functionName: string, args: readonly unknown[], value?: bigint): Promise<Hex> {
    const { wallet: w, account: a } = requireWallet();
    try {
      const { request } = await reader.simulateContract({
        address: hub,
        abi: cce4longHubAbi,
        functionName: functionName as never,
        args: args as never,
        account: a,
        ...(value === undefined ? {} : { value }),
      } as never);
      const hash = await w.writeContract(request as never);
      const receipt = await reader.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success")
        throw new Cce4longError("CHAIN_REVERTED", `${functionName} reverted`, { detail: { hash } });
      return hash;
    } catch (error) {
      throw chainError(functionName, error);
    }
  }

  const read = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
    reader
      .readContract({
        address: hub,
        abi: cce4longHubAbi,
        functionName: functionName as never,
        args: args as never,
      } as never)
      .catch((error: unknown) => {
        throw chainError(functionName, error);
      }) as Promise<T>;

  const randomSalt = () => toHex(crypto.getRandomValues(new Uint8Array(32)));

  return {
    reader,
    account,
    async registerDataset(input: RegisterDatasetInput): Promise<{ datasetId: Hex; tx: Hex }> {
      const { account: a } = requireWallet();
      const salt = input.salt ?? randomSalt();
      const tx = await write("registerDataset", [
        salt,
        input.metadataHash,
        input.metadataUri,
        input.terms,
        input.reviewers,
      ]);
      return { datasetId: datasetIdOf(a.address, salt), tx };
    },
    setReviewers: (datasetId: Hex, reviewers: Address[]) =>
      write("setDatasetReviewers", [datasetId, reviewers]),
    retireDataset: (datasetId: Hex) => write("retireDataset", [datasetId]),
    allowImageDigest: (datasetId: Hex, imageDigest: Hex) =>
      write("setImageDigestAllowed", [datasetId, imageDigest, true]),
    async rent(datasetId: Hex, periods: number): Promise<{ tx: Hex; expiresAt: bigint; paid: bigint }> {
      const price = await read<bigint>("rentalPrice", [datasetId, periods]);
      const tx = await write("rent", [datasetId, periods], price);
      const { account: a } = requireWallet();
      return { tx, expiresAt: await read<bigint>("rentalExpiresAt", [datasetId, a.address]), paid: price };
    },
    async extendRental(datasetId: Hex, periods: number): Promise<Hex> {
      const price = await read<bigint>("rentalPrice", [datasetId, periods]);
      return write("extendRental", [datasetId, periods], price);
    },
    async requestJob(input: RequestJobInput): Promise<{ jobId: Hex; tx: Hex }> {
      const { account: a } = requireWallet();
      const salt = input.salt ?? randomSalt();
      const tx = await write("requestJob", [
        salt,
        input.datasetId,
        input.imageDigest,
        input.specCommitment,
        input.resultPublicKey,
      ]);
      return { jobId: jobIdOf(a.address, salt), tx };
    },
    cancelJob: (jobId: Hex) => write("cancelJob", [jobId]),
    withdrawEarnings: () => write("withdrawEarnings", []),
    earningsOf: (provider: Address) => read<bigint>("earningsOf", [provider]),
    getDataset: (datasetId: Hex) =>
      read<{
        provider: Address;
        retired: boolean;
        versionCount: number;
        metadataUri: string;
        terms: DatasetTermsInput;
      }>("getDataset", [datasetId]),
    isRentalActive: (datasetId: Hex, consumer: Address) =>
      read<boolean>("isRentalActive", [datasetId, consumer]),
    jobStatus: (jobId: Hex) => read<number>("jobStatus", [jobId]),
    getJob: (jobId: Hex) => read<Record<string, unknown>>("getJob", [jobId]),
  };
}

export type HubClient = ReturnType<typeof createHubClient>;

/** A revert becomes CHAIN_REVERTED naming the contract's custom error; no connection, CHAIN_UNREACHABLE. */
function chainError(functionName: string, error: unknown): Cce4longError {
  if (error instanceof Cce4longError) return error;
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? revert.reason ?? "unknown reason";
      return new Cce4longError("CHAIN_REVERTED", `${functionName} reverted: ${name}`, { cause: error });
    }
    if (/fetch failed|ECONNREFUSED|HTTP request failed/i.test(error.message)) {
      return new Cce4longError("CHAIN_UNREACHABLE", `the chain cannot be reached for ${functionName}`, {
        cause: error,
      });
    }
  }
  return new Cce4longError(
    "INTERNAL",
    `${functionName} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    {
      cause: error,
    },
  );
}
