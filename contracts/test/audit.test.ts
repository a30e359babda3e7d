/**
 * The per-dataset audit query on a real anvil (tests only): one getLogs on the dataset id returns every
 * record about that dataset, in order, and nothing about other datasets.
 */
import {
  DATASET_AUDIT_EVENT_NAMES,
  fetchDatasetAuditTrail,
  JobFailureReason,
  OutputDecision,
} from "@cce4long/protocol/chain/index";
import { afterAll, beforeAll, expect, it } from "vitest";
import { b32, type HubFixture, startHubFixture } from "./helpers/hub-fixture";
import { MEASUREMENT, rentedDataset, requestJob } from "./helpers/scenario";

let f: HubFixture;

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.stop();
});

it("returns everything ever done to one dataset and nothing about another", async () => {
  const signer = "privacyPlaneSigner" as const;
  const datasetId = await rentedDataset(f, "audited");
  const other = await rentedDataset(f, "other", "secondConsumer");
  await f.write("consumer", "extendRental", [datasetId, 1], 10n ** 15n);
  const done = await requestJob(f, datasetId, "done");
  await f.write(signer, "recordJobDispatched", [done, 1]);
  await f.write(signer, "recordJobKeyReleased", [done, MEASUREMENT]);
  await f.write(signer, "recordJobOutputsSubmitted", [done, b32("outs")]);
  await f.write(signer, "recordJobOutputDecision", [
    done,
    OutputDecision.NeedsReview,
    `0x${"0".repeat(40)}`,
    b32("g"),
  ]);
  await f.write(signer, "recordJobOutputDecision", [
    done,
    OutputDecision.ReviewerApproved,
    f.address("reviewer"),
    b32("r"),
  ]);
  await f.write(signer, "recordJobResultReleased", [done, b32("manifest")]);
  const failed = await requestJob(f, datasetId, "failed");
  await f.write(signer, "recordJobFailed", [failed, JobFailureReason.LaunchFailed]);
  const cancelled = await requestJob(f, datasetId, "cancelled");
  await f.write("consumer", "cancelJob", [cancelled]);
  await f.write(signer, "recordExploreSessionOpened", [datasetId, b32("session"), f.address("consumer")]);
  await f.write(signer, "recordExploreExportSubmitted", [
    datasetId,
    b32("session"),
    b32("export"),
    1,
    b32("result key"),
    b32("export outs"),
  ]);
  await f.write(signer, "recordExploreSessionClosed", [datasetId, b32("session"), 0]);
  await requestJob(f, other, "elsewhere", "secondConsumer");
  const terms = { pricePerPeriod: 1n, periodSeconds: 60n, exploreOffered: true, freePreview: false };
  await f.write("provider", "updateDataset", [datasetId, b32("meta v2"), "s3://catalogue/v2.json", terms]);
  await f.write("provider", "retireDataset", [datasetId]);

  const trail = await fetchDatasetAuditTrail(f.publicClient, {
    hub: f.hub,
    datasetId,
    fromBlock: BigInt(f.deployment.contracts.hub.deployedBlock),
  });
  expect(trail.map((entry) => entry.eventName)).toEqual([
    "DatasetRegistered",
    "DatasetReviewersChanged",
    "DatasetVersionCommitted",
    "ImageDigestPolicyChanged",
    "MeasurementPolicyChanged",
    "RentalStarted",
    "RentalExtended",
    "JobRequested",
    "JobDispatched",
    "JobKeyReleased",
    "JobOutputsSubmitted",
    "JobOutputDecided",
    "JobOutputDecided",
    "JobResultReleased",
    "JobRequested",
    "JobFailed",
    "JobRequested",
    "JobCancelled",
    "ExploreSessionOpened",
    "ExploreExportSubmitted",
    "ExploreSessionClosed",
    "DatasetUpdated",
    "DatasetRetired",
  ]);
  for (const entry of trail) expect((entry.args as { datasetId: string }).datasetId).toBe(datasetId);
  expect(new Set(trail.map((entry) => entry.eventName)).size).toBe(DATASET_AUDIT_EVENT_NAMES.length);
});
