/**
 * The ExploreChain over the deployed cce4long hub (runs inside the TEE): reads through a viem public
 * client and records as the Privacy Plane's chain-recorder account through the process-wide queue of
 * chain/hub-writer.ts (shared with dispatch, key release, ingest and review).
 */
import { cce4longHubAbi } from "@cce4long/protocol";
import { createHubWriter, type HubWriterOptions, hubChainError, revertName } from "../../chain/hub-writer";
import type { ExploreChain } from "./explore-chain";

export type HubExploreChainOptions = HubWriterOptions;

export function createHubExploreChain(options: HubExploreChainOptions): ExploreChain {
  const { reader, address, record } = createHubWriter(options);

  return {
    async exploreTerms(datasetId) {
      try {
        const dataset = await reader.readContract({
          address,
          abi: cce4longHubAbi,
          functionName: "getDataset",
          args: [datasetId],
        });
        return {
          exploreOffered: dataset.terms.exploreOffered,
          freePreview: dataset.terms.freePreview,
          retired: dataset.retired,
        };
      } catch (cause) {
        if (revertName(cause) !== undefined) return undefined;
        throw hubChainError("getDataset", cause);
      }
    },
    async isRentalActive(datasetId, consumer) {
      try {
        return await reader.readContract({
          address,
          abi: cce4longHubAbi,
          functionName: "isRentalActive",
          args: [datasetId, consumer],
        });
      } catch (cause) {
        throw hubChainError("isRentalActive", cause);
      }
    },
    recordOpened: (datasetId, sessionId, consumer) =>
      record("recordExploreSessionOpened", [datasetId, sessionId, consumer]),
    recordClosed: (datasetId, sessionId, reason) =>
      record("recordExploreSessionClosed", [datasetId, sessionId, reason]),
  };
}
