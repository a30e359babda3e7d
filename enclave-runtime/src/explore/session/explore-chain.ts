/**
 * What Explore sessions read from and record on the chain (runs inside the TEE): the dataset's Explore
 * terms, the consumer's rental, and the "session opened/closed" records. One narrow interface; the hub
 * implementation (hub-explore-chain.ts) in every deployment, fakes in unit tests.
 */
import type { ExploreCloseReason } from "@cce4long/protocol";
import type { Address, Hex } from "viem";

export interface ExploreTerms {
  exploreOffered: boolean;
  freePreview: boolean;
  retired: boolean;
}

export interface ExploreChain {
  /** The dataset's Explore Mode terms, or undefined if the hub does not know the dataset. */
  exploreTerms(datasetId: Hex): Promise<ExploreTerms | undefined>;
  isRentalActive(datasetId: Hex, consumer: Address): Promise<boolean>;
  /** Resolves once mined; rejects with CHAIN_REVERTED when the hub refuses (no access, not offered). */
  recordOpened(datasetId: Hex, sessionId: Hex, consumer: Address): Promise<Hex>;
  recordClosed(datasetId: Hex, sessionId: Hex, reason: ExploreCloseReason): Promise<Hex>;
}
