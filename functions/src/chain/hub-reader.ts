/**
 * Read-only access to the cce4long hub contract from the edge (runs in workerd): viem's public client
 * over the configured RPC URL, with JSON-RPC batching so a page of reads is one HTTP request.
 * Chain failures become CHAIN_UNREACHABLE; an unknown dataset becomes `null`, not an error.
 */
import { Cce4longError, cce4longHubAbi, fetchDatasetAuditTrail } from "@cce4long/protocol";
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  type Hex,
  http,
  type PublicClient,
  parseAbiItem,
} from "viem";
import type { Config } from "../config";

export type OnChainDataset = {
  provider: Address;
  registeredAt: number;
  retired: boolean;
  versionCount: number;
  metadataHash: Hex;
  metadataUri: string;
  terms: { pricePerPeriod: bigint; periodSeconds: bigint; exploreOffered: boolean; freePreview: boolean };
};

const RENTAL_STARTED = parseAbiItem(
  "event RentalStarted(bytes32 indexed datasetId, address indexed consumer, uint32 periods, uint64 expiresAt, uint256 paid)",
);

export class HubReader {
  constructor(
    readonly client: PublicClient,
    readonly hub: Address,
    readonly fromBlock: bigint,
  ) {}

  datasetCount(): Promise<bigint> {
    return guard(() => this.read("datasetCount", []));
  }

  datasetIdAt(index: bigint): Promise<Hex> {
    return guard(() => this.read("datasetIdAt", [index]));
  }

  /** The dataset, or null if the hub has never registered it. */
  async dataset(datasetId: Hex): Promise<OnChainDataset | null> {
    try {
      return await guard(() => this.read("getDataset", [datasetId]));
    } catch (error) {
      if (revertName(error) === "DatasetsUnknownDataset") return null;
      throw error;
    }
  }

  reviewersOf(datasetId: Hex): Promise<readonly Address[]> {
    return guard(() => this.read("reviewersOf", [datasetId]));
  }

  isReviewer(datasetId: Hex, account: Address): Promise<boolean> {
    return guard(() => this.read("isReviewer", [datasetId, account]));
  }

  async rental(datasetId: Hex, consumer: Address): Promise<{ active: boolean; expiresAt: bigint }> {
    const [active, expiresAt] = await Promise.all([
      guard(() => this.read("isRentalActive", [datasetId, consumer])),
      guard(() => this.read("rentalExpiresAt", [datasetId, consumer])),
    ]);
    return { active, expiresAt };
  }

  /** Every dataset `consumer` ever started a rental on, from RentalStarted logs (topic 2). */
  async rentedDatasets(consumer: Address): Promise<Hex[]> {
    const logs = await guard(() =>
      this.client.getLogs({
        address: this.hub,
        event: RENTAL_STARTED,
        args: { consumer },
        fromBlock: this.fromBlock,
        toBlock: "latest",
      }),
    );
    return [...new Set(logs.map((log) => log.args.datasetId!.toLowerCase() as Hex))];
  }

  auditTrail(datasetId: Hex) {
    return guard(() =>
      fetchDatasetAuditTrail(this.client, { hub: this.hub, datasetId, fromBlock: this.fromBlock }),
    );
  }

  // The ABI-typed read; one place so every call gets the same address and error handling.
  private read<const F extends ReadFunction>(functionName: F, args: readonly unknown[]) {
    return this.client.readContract({
      address: this.hub,
      abi: cce4longHubAbi,
      functionName,
      args,
    } as never) as Promise<ReadResult<F>>;
  }
}

type ReadFunction =
  | "datasetCount"
  | "datasetIdAt"
  | "getDataset"
  | "reviewersOf"
  | "isReviewer"
  | "isRentalActive"
  | "rentalExpiresAt";

type ReadResult<F extends ReadFunction> = {
  datasetCount: bigint;
  datasetIdAt: Hex;
  getDataset: OnChainDataset;
  reviewersOf: readonly Address[];
  isReviewer: boolean;
  isRentalActive: boolean;
  rentalExpiresAt: bigint;
}[F];

export function revertName(error: unknown): string | undefined {
  if (!(error instanceof Cce4longError) || error.code !== "CHAIN_REVERTED") return undefined;
  return error.detail?.errorName as string | undefined;
}

/** Runs a chain call; reverts become CHAIN_REVERTED (with the custom error's name), the rest CHAIN_UNREACHABLE. */
export async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof BaseError) {
      const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
      if (revert instanceof ContractFunctionRevertedError) {
        throw new Cce4longError("CHAIN_REVERTED", "The chain refused the read", {
          cause: error,
          detail: { errorName: revert.data?.errorName ?? revert.reason },
        });
      }
    }
    throw new Cce4longError("CHAIN_UNREACHABLE", "The chain could not be read; try again", { cause: error });
  }
}

/**
 * A reader (and HTTP client) for one request. Not shared across requests: viem's JSON-RPC batch
 * scheduler is keyed by transport URL in a module-level map, so two requests of one isolate would
 * join one batch, and workerd cancels a request that waits on I/O owned by another request as
 * "hung". The URL fragment (never sent) gives each reader its own scheduler; batching still groups
 * the reads of one request.
 */
export function hubReader(config: Config): HubReader {
  const client = createPublicClient({
    transport: http(`${config.RPC_URL}#${crypto.randomUUID()}`, {
      batch: { batchSize: 100, wait: 0 },
      retryCount: 1,
      timeout: 10_000,
    }),
  });
  return new HubReader(client as PublicClient, config.HUB_ADDRESS, BigInt(config.HUB_DEPLOYED_BLOCK));
}
