/**
 * Reads Privacy Mode jobs from the hub contract (runs in workerd): the stored record, the status,
 * the JobRequested logs of a consumer and the lifecycle events of one job. Shares the hub reader's
 * client (JSON-RPC batching) and its error mapping.
 */
import { cce4longHubAbi, type DatasetAuditEntry } from "@cce4long/protocol";
import { type Address, getAbiItem, type Hex, parseEventLogs, toHex } from "viem";
import type { Config } from "../config";
import { guard, type HubReader, hubReader, revertName } from "./hub-reader";

export interface OnChainJob {
  consumer: Address;
  status: number;
  datasetVersion: number;
  requestedAt: number;
  datasetId: Hex;
  imageDigest: Hex;
  specCommitment: Hex;
  resultPublicKey: Hex;
}

export interface JobRequestLog {
  jobId: Hex;
  datasetId: Hex;
  consumer: Address;
  imageDigest: Hex;
  specCommitment: Hex;
  blockNumber: bigint;
}

const JOB_REQUESTED = getAbiItem({ abi: cce4longHubAbi, name: "JobRequested" });

export class JobReader {
  constructor(private readonly hub: HubReader) {}

  /** The job as stored, or null if no job has this id. */
  async job(jobId: Hex): Promise<OnChainJob | null> {
    try {
      const record = await guard(() =>
        this.hub.client.readContract({
          address: this.hub.hub,
          abi: cce4longHubAbi,
          functionName: "getJob",
          args: [jobId],
        }),
      );
      return { ...record, status: Number(record.status), datasetVersion: Number(record.datasetVersion) };
    } catch (error) {
      if (revertName(error) === "JobsUnknownJob") return null;
      throw error;
    }
  }

  async status(jobId: Hex): Promise<number> {
    const status = await guard(() =>
      this.hub.client.readContract({
        address: this.hub.hub,
        abi: cce4longHubAbi,
        functionName: "jobStatus",
        args: [jobId],
      }),
    );
    return Number(status);
  }

  /** Every job `consumer` requested (optionally on one dataset), oldest first. */
  async requestedBy(consumer: Address, datasetId?: Hex): Promise<JobRequestLog[]> {
    const logs = await guard(() =>
      this.hub.client.getLogs({
        address: this.hub.hub,
        event: JOB_REQUESTED,
        args: { consumer, ...(datasetId === undefined ? {} : { datasetId }) },
        fromBlock: this.hub.fromBlock,
        toBlock: "latest",
      }),
    );
    return logs.map((log) => ({
      jobId: log.args.jobId!.toLowerCase() as Hex,
      datasetId: log.args.datasetId!.toLowerCase() as Hex,
      consumer: log.args.consumer!,
      imageDigest: log.args.imageDigest!.toLowerCase() as Hex,
      specCommitment: log.args.specCommitment!.toLowerCase() as Hex,
      blockNumber: log.blockNumber ?? 0n,
    }));
  }

  /**
   * The job's lifecycle events in chain order: every Job* event has the dataset id as topic 1 and the
   * job id as topic 2, so one eth_getLogs finds them.
   */
  async lifecycle(datasetId: Hex, jobId: Hex): Promise<DatasetAuditEntry[]> {
    const raw = await guard(() =>
      this.hub.client.request({
        method: "eth_getLogs",
        params: [
          {
            address: this.hub.hub,
            topics: [null, datasetId, jobId],
            fromBlock: toHex(this.hub.fromBlock),
            toBlock: "latest",
          },
        ],
      }),
    );
    return parseEventLogs({ abi: cce4longHubAbi, logs: raw as never }).filter((e) =>
      e.eventName.startsWith("Job"),
    );
  }
}

/** A job reader for one request (see hubReader for why readers are not shared across requests). */
export function jobReader(config: Config, hub: HubReader = hubReader(config)): JobReader {
  return new JobReader(hub);
}
