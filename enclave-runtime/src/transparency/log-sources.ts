/**
 * The two inputs of ensureMeasurementLogged in a running Privacy Plane (runs inside the TEE): the head
 * read from the hub contract, and proofs from a log the Privacy Plane can read (here a TransparencyLog
 * over a store, re-opened when the chain's head is ahead of what it holds).
 */
import { TransparencyLog, type TransparencyLogStore } from "@cce4long/protocol/transparency/log";
import { readCommittedLogHead } from "@cce4long/protocol/transparency/onchain-head";
import type { Address, PublicClient } from "viem";
import type { CommittedLogHeadSource, MeasurementProofSource } from "./ensure-measurement-logged";

export function onChainLogHead(
  client: Pick<PublicClient, "readContract">,
  hub: Address,
): CommittedLogHeadSource {
  return { committedHead: () => readCommittedLogHead(client, hub) };
}

/** Proofs from a store; reloads it when asked about a tree larger than the copy in memory. */
export function storeProofSource(store: TransparencyLogStore): MeasurementProofSource {
  let log: Promise<TransparencyLog> | undefined;
  return {
    async proveMeasurement(measurementId, treeSize) {
      log ??= TransparencyLog.open(store);
      let current = await log;
      if (current.size < treeSize) {
        log = TransparencyLog.open(store);
        current = await log;
      }
      if (current.size < treeSize) return undefined;
      return current.proveMeasurement(measurementId, treeSize);
    },
  };
}
