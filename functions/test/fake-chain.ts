/**
 * A tiny in-Worker stand-in for the chain's JSON-RPC, for unit-level routing tests only (runs in
 * workerd under vitest): it intercepts fetch to the configured RPC URL and answers the hub reads the
 * edge API makes from an in-memory table. The real chain paths are covered by integration tests
 * against anvil.
 */
import { cce4longHubAbi } from "@cce4long/protocol";
import {
  type Address,
  decodeFunctionData,
  encodeAbiParameters,
  encodeErrorResult,
  encodeEventTopics,
  encodeFunctionResult,
  type Hex,
  isAddressEqual,
  pad,
  toHex,
} from "viem";
import { vi } from "vitest";
import { type FakeJob, isJobLogQuery, jobLogs, jobRecord } from "./fake-jobs";

export const RPC_URL = "http://127.0.0.1:8545";
export const HUB = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

export interface FakeDataset {
  id: Hex;
  provider: Address;
  retired?: boolean;
  exploreOffered?: boolean;
  reviewers?: Address[];
  rentals?: { consumer: Address; expiresAt: bigint }[];
}

interface RpcRequest {
  id: number;
  method: string;
  params: unknown[];
}

export class FakeChain {
  datasets: FakeDataset[] = [];
  /** Set to make every RPC request fail at the network level. */
  down = false;
  calls: string[] = [];

  /** Jobs for getJob / jobStatus and the job event logs (fake-jobs.ts). */
  jobs: FakeJob[] = [];

  install(): void {
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith(RPC_URL)) return realFetch(input, init);
      return this.handle(request);
    });
  }

  /** Answers one JSON-RPC request (single or batch); for fakes that route fetch themselves. */
  async handle(request: Request): Promise<Response> {
    if (this.down) throw new TypeError("Network connection lost.");
    const body = (await request.json()) as RpcRequest | RpcRequest[];
    const answer = Array.isArray(body) ? body.map((r) => this.answer(r)) : this.answer(body);
    return Response.json(answer);
  }

  private answer(request: RpcRequest): Record<string, unknown> {
    this.calls.push(request.method);
    const reply = (result: unknown) => ({ jsonrpc: "2.0", id: request.id, result });
    switch (request.method) {
      case "eth_chainId":
        return reply(toHex(31337));
      case "eth_call":
        return this.call(request, (request.params[0] as { data: Hex }).data);
      case "eth_getLogs": {
        const filter = request.params[0] as { topics: (Hex | null)[] };
        if (isJobLogQuery(filter.topics)) return reply(jobLogs(this.jobs, filter.topics));
        return reply(this.rentalLogs(filter));
      }
      default:
        return { jsonrpc: "2.0", id: request.id, error: { code: -32601, message: "method not found" } };
    }
  }

  private find(id: Hex): FakeDataset | undefined {
    return this.datasets.find((d) => d.id.toLowerCase() === id.toLowerCase());
  }

  private call(request: RpcRequest, data: Hex): Record<string, unknown> {
    const { functionName, args } = decodeFunctionData({ abi: cce4longHubAbi, data });
    const result = (value: unknown) => ({
      jsonrpc: "2.0",
      id: request.id,
      result: encodeFunctionResult({ abi: cce4longHubAbi, functionName, result: value } as never),
    });
    const a = (args ?? []) as readonly unknown[];
    if (functionName === "getJob" || functionName === "jobStatus") {
      const job = this.jobs.find((j) => j.id.toLowerCase() === (a[0] as Hex).toLowerCase());
      if (functionName === "jobStatus") return result(job?.status ?? 0);
      if (job === undefined) {
        const revert = encodeErrorResult({
          abi: cce4longHubAbi,
          errorName: "JobsUnknownJob",
          args: [a[0] as Hex],
        });
        return {
          jsonrpc: "2.0",
          id: request.id,
          error: { code: 3, message: "execution reverted", data: revert },
        };
      }
      return result(jobRecord(job));
    }
    if (functionName === "datasetCount") return result(BigInt(this.datasets.length));
    if (functionName === "datasetIdAt") return result(this.datasets[Number(a[0])]!.id);
    const dataset = this.find(a[0] as Hex);
    if (functionName === "reviewersOf") return result(dataset?.reviewers ?? []);
    if (functionName === "isReviewer") {
      return result((dataset?.reviewers ?? []).some((r) => isAddressEqual(r, a[1] as Address)));
    }
    if (functionName === "rentalExpiresAt" || functionName === "isRentalActive") {
      const rental = dataset?.rentals?.find((r) => isAddressEqual(r.consumer, a[1] as Address));
      const expiresAt = rental?.expiresAt ?? 0n;
      return result(
        functionName === "rentalExpiresAt" ? expiresAt : expiresAt > BigInt(Math.floor(Date.now() / 1000)),
      );
    }
    if (functionName === "getDataset") {
      if (dataset === undefined) {
        const revert = encodeErrorResult({
          abi: cce4longHubAbi,
          errorName: "DatasetsUnknownDataset",
          args: [a[0] as Hex],
        });
        return {
          jsonrpc: "2.0",
          id: request.id,
          error: { code: 3, message: "execution reverted", data: revert },
        };
      }
      return result({
        provider: dataset.provider,
        registeredAt: 1_800_000_000,
        retired: dataset.retired ?? false,
        versionCount: 1,
        metadataHash: pad("0xaa", { size: 32 }),
        metadataUri: `s3://cce4long-datasets/${dataset.id}/metadata.json`,
        terms: {
          pricePerPeriod: 10n ** 18n,
          periodSeconds: 86_400n,
          exploreOffered: dataset.exploreOffered ?? true,
          freePreview: false,
        },
      });
    }
    throw new Error(`fake chain: ${functionName} not supported`);
  }

  /** RentalStarted logs, filtered by the consumer topic the way a node filters them. */
  private rentalLogs(filter: { topics: (Hex | null)[] }): unknown[] {
    const consumerTopic = filter.topics[2];
    const logs: unknown[] = [];
    let index = 0;
    for (const dataset of this.datasets) {
      for (const rental of dataset.rentals ?? []) {
        const topics = encodeEventTopics({
          abi: cce4longHubAbi,
          eventName: "RentalStarted",
          args: { datasetId: dataset.id, consumer: rental.consumer },
        } as never);
        const topic2 = (topics[2] as Hex | undefined)?.toLowerCase();
        if (consumerTopic && topic2 !== consumerTopic.toLowerCase()) continue;
        logs.push({
          address: HUB,
          topics,
          data: encodeAbiParameters(
            [{ type: "uint32" }, { type: "uint64" }, { type: "uint256" }],
            [1, rental.expiresAt, 10n ** 18n],
          ),
          blockNumber: toHex(10 + index),
          blockHash: pad("0x01", { size: 32 }),
          transactionHash: pad(toHex(index + 1), { size: 32 }),
          transactionIndex: "0x0",
          logIndex: toHex(index++),
          removed: false,
        });
      }
    }
    return logs;
  }
}
