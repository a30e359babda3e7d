/**
 * Turns what viem decodes from the hub into the API's JSON shapes (runs in workerd): bigints become
 * decimal strings (JSON numbers lose precision past 2^53), seconds become RFC 3339 timestamps.
 */
import type { AuditTrailResponse, DatasetSummary } from "@cce4long/protocol";
import type { Hex } from "viem";
import type { HubReader, OnChainDataset } from "./hub-reader";

export function secondsToIso(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}

export function datasetSummary(datasetId: Hex, d: OnChainDataset): DatasetSummary {
  return {
    datasetId: datasetId.toLowerCase() as Hex,
    provider: d.provider,
    registeredAt: secondsToIso(d.registeredAt),
    retired: d.retired,
    versionCount: Number(d.versionCount),
    metadataHash: d.metadataHash.toLowerCase() as Hex,
    metadataUri: d.metadataUri,
    terms: {
      pricePerPeriodWei: d.terms.pricePerPeriod.toString(),
      periodSeconds: Number(d.terms.periodSeconds),
      exploreOffered: d.terms.exploreOffered,
      freePreview: d.terms.freePreview,
    },
  };
}

/** Replaces every bigint in a decoded value with its decimal string. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

export function auditEvents(
  entries: Awaited<ReturnType<HubReader["auditTrail"]>>,
): AuditTrailResponse["events"] {
  return entries.map((entry) => ({
    eventName: entry.eventName,
    blockNumber: (entry.blockNumber ?? 0n).toString(),
    logIndex: entry.logIndex ?? 0,
    transactionHash: (entry.transactionHash ?? `0x${"0".repeat(64)}`).toLowerCase() as Hex,
    args: jsonSafe(entry.args) as Record<string, unknown>,
  }));
}
