/**
 * The on-chain audit trail of one dataset (runs anywhere): every dataset-scoped hub event carries the
 * dataset id as topic 1, so one `eth_getLogs` with `topics: [null, datasetId]` returns its history.
 */
import {
  type AbiEvent,
  type Address,
  type BlockNumber,
  formatLog,
  type Hex,
  type ParseEventLogsReturnType,
  type PublicClient,
  parseEventLogs,
  toHex,
} from "viem";
import { cce4longHubAbi } from "./generated/index";

type HubEvent = Extract<(typeof cce4longHubAbi)[number], { type: "event" }>;

function isDatasetScoped(event: AbiEvent): boolean {
  const first = event.inputs[0];
  return first?.name === "datasetId" && first.type === "bytes32" && first.indexed === true;
}

/** Names of the hub events whose topic 1 is a dataset id, in ABI order. */
export const DATASET_AUDIT_EVENT_NAMES: readonly HubEvent["name"][] = cce4longHubAbi
  .filter((item): item is HubEvent => item.type === "event")
  .filter((event) => isDatasetScoped(event as AbiEvent))
  .map((event) => event.name);

/** The raw `eth_getLogs` topic filter of a dataset's audit trail. */
export function datasetAuditTopics(datasetId: Hex): [null, Hex] {
  return [null, datasetId];
}

export interface DatasetAuditQuery {
  hub: Address;
  datasetId: Hex;
  /** Usually the deployment's `deployedBlock`. */
  fromBlock: BlockNumber;
  toBlock?: BlockNumber;
}

export type DatasetAuditEntry = ParseEventLogsReturnType<typeof cce4longHubAbi>[number];

/** Every hub event about one dataset, decoded, in chain order. */
export async function fetchDatasetAuditTrail(
  client: Pick<PublicClient, "request">,
  query: DatasetAuditQuery,
): Promise<DatasetAuditEntry[]> {
  const raw = await client.request({
    method: "eth_getLogs",
    params: [
      {
        address: query.hub,
        topics: datasetAuditTopics(query.datasetId),
        fromBlock: toHex(query.fromBlock),
        toBlock: query.toBlock === undefined ? "latest" : toHex(query.toBlock),
      },
    ],
  });
  const logs = raw.map((log) => formatLog(log));
  const names = new Set<string>(DATASET_AUDIT_EVENT_NAMES);
  return parseEventLogs({ abi: cce4longHubAbi, logs, strict: true }).filter((entry) =>
    names.has(entry.eventName),
  );
}
