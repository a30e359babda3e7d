/**
 * Jobs for the in-Worker fake chain (runs in workerd under vitest): the getJob record and the job
 * event logs (JobRequested and any lifecycle events a test lists), filtered by topics the way a node
 * filters them. Proves routing and mapping only; the real chain paths run against anvil.
 */
import { cce4longHubAbi } from "@cce4long/protocol";
import {
  type AbiEvent,
  type Address,
  encodeAbiParameters,
  encodeEventTopics,
  getAbiItem,
  type Hex,
  pad,
  toEventSelector,
  toHex,
} from "viem";

export interface FakeJobEvent {
  eventName: string;
  args: Record<string, unknown>;
}

export interface FakeJob {
  id: Hex;
  consumer: Address;
  datasetId: Hex;
  status: number;
  datasetVersion?: number;
  /** Lifecycle events after JobRequested, in order (datasetId and jobId are filled in). */
  events?: FakeJobEvent[];
}

export const IMAGE_DIGEST = pad("0x1d", { size: 32 });
export const SPEC_COMMITMENT = pad("0x5c", { size: 32 });
export const RESULT_PUBLIC_KEY = pad("0x9b", { size: 32 });

export function jobRecord(job: FakeJob) {
  return {
    consumer: job.consumer,
    status: job.status,
    datasetVersion: job.datasetVersion ?? 0,
    requestedAt: 1_800_000_000,
    datasetId: job.datasetId,
    imageDigest: IMAGE_DIGEST,
    specCommitment: SPEC_COMMITMENT,
    resultPublicKey: RESULT_PUBLIC_KEY,
  };
}

const JOB_REQUESTED_TOPIC = toEventSelector(
  getAbiItem({ abi: cce4longHubAbi, name: "JobRequested" }) as AbiEvent,
);

/** Queries the job code makes: JobRequested by consumer, or [null, datasetId, jobId] lifecycles. */
export function isJobLogQuery(topics: (Hex | null)[]): boolean {
  return topics[0]?.toLowerCase() === JOB_REQUESTED_TOPIC || (topics[0] == null && topics[2] != null);
}

function encodeLog(eventName: string, args: Record<string, unknown>) {
  const event = getAbiItem({ abi: cce4longHubAbi, name: eventName as never }) as unknown as AbiEvent;
  const topics = encodeEventTopics({ abi: [event], eventName, args } as never) as Hex[];
  const plain = event.inputs.filter((input) => !input.indexed);
  const data = encodeAbiParameters(
    plain,
    plain.map((input) => args[input.name!]),
  );
  return { topics, data };
}

export function jobLogs(jobs: FakeJob[], filter: (Hex | null)[]): unknown[] {
  const logs: unknown[] = [];
  let index = 0;
  for (const job of jobs) {
    const events: FakeJobEvent[] = [
      {
        eventName: "JobRequested",
        args: {
          consumer: job.consumer,
          imageDigest: IMAGE_DIGEST,
          specCommitment: SPEC_COMMITMENT,
          resultPublicKey: RESULT_PUBLIC_KEY,
        },
      },
      ...(job.events ?? []),
    ];
    for (const event of events) {
      const { topics, data } = encodeLog(event.eventName, {
        datasetId: job.datasetId,
        jobId: job.id,
        ...event.args,
      });
      const i = index++;
      const matches = filter.every(
        (want, n) => want == null || topics[n]?.toLowerCase() === want.toLowerCase(),
      );
      if (!matches) continue;
      logs.push({
        address: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        topics,
        data,
        blockNumber: toHex(100 + i),
        blockHash: pad("0x02", { size: 32 }),
        transactionHash: pad(toHex(1000 + i), { size: 32 }),
        transactionIndex: "0x0",
        logIndex: toHex(i),
        removed: false,
      });
    }
  }
  return logs;
}
