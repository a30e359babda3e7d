/**
 * The dataset audit event list (runs anywhere): derived from the generated ABI, so a new dataset event
 * joins the audit trail by having `bytes32 indexed datasetId` first. contracts/test/audit.test.ts runs
 * the query against a chain.
 */
import { describe, expect, it } from "vitest";
import { DATASET_AUDIT_EVENT_NAMES, datasetAuditTopics } from "./audit";

describe("DATASET_AUDIT_EVENT_NAMES", () => {
  it("lists every dataset-scoped event and no global one", () => {
    expect([...DATASET_AUDIT_EVENT_NAMES].sort()).toEqual([
      "DatasetRegistered",
      "DatasetRetired",
      "DatasetReviewersChanged",
      "DatasetUpdated",
      "DatasetVersionCommitted",
      "ExploreExportSubmitted",
      "ExploreSessionClosed",
      "ExploreSessionOpened",
      "ImageDigestPolicyChanged",
      "JobCancelled",
      "JobDispatched",
      "JobFailed",
      "JobKeyReleased",
      "JobOutputDecided",
      "JobOutputsSubmitted",
      "JobRequested",
      "JobResultReleased",
      "MeasurementPolicyChanged",
      "RentalExtended",
      "RentalStarted",
    ]);
  });

  it("filters on topic 1 only", () => {
    const id = `0x${"11".repeat(32)}` as const;
    expect(datasetAuditTopics(id)).toEqual([null, id]);
  });
});
