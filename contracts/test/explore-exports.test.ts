/**
 * Explore exports held for review on a real anvil (tests only): the review item opens only for an open
 * session (its consumer taken from the session), on a committed version, never twice, signers only; it then
 * follows the job review path (reviewer of the dataset only, release once) under the export id.
 */
import { JobStatus, OutputDecision } from "@cce4long/protocol/chain/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b32, type HubFixture, only, startHubFixture } from "./helpers/hub-fixture";
import { RESULT_KEY, registerDataset, rentedDataset } from "./helpers/scenario";

let f: HubFixture;
const signer = "privacyPlaneSigner" as const;
const zero = "0x0000000000000000000000000000000000000000";

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.stop();
});

async function openSession(label: string) {
  const datasetId = await rentedDataset(f, label);
  await f.write(signer, "recordExploreSessionOpened", [
    datasetId,
    b32(`${label} session`),
    f.address("consumer"),
  ]);
  return { datasetId, sessionId: b32(`${label} session`) };
}

describe("Explore exports held for review", () => {
  it("opens a review item for the session's consumer, decided by the dataset's reviewer and released once", async () => {
    const { datasetId, sessionId } = await openSession("export-ok");
    const exportId = b32("export-ok export");
    const submitted = await f.write(signer, "recordExploreExportSubmitted", [
      datasetId,
      sessionId,
      exportId,
      1,
      RESULT_KEY,
      b32("commitment"),
    ]);
    console.log(`recordExploreExportSubmitted gas: ${submitted.receipt.gasUsed}`);
    expect(only(submitted.events, "ExploreExportSubmitted").args).toEqual({
      datasetId,
      exportId,
      sessionId,
      outputsCommitment: b32("commitment"),
    });
    expect(await f.read("getJob", [exportId])).toMatchObject({
      consumer: f.address("consumer"),
      status: JobStatus.OutputsSubmitted,
      datasetVersion: 1,
      datasetId,
      specCommitment: sessionId,
      resultPublicKey: RESULT_KEY,
    });
    await f.write(signer, "recordJobOutputDecision", [
      exportId,
      OutputDecision.NeedsReview,
      zero,
      b32("gate"),
    ]);
    await registerDataset(f, "export-outsider", { reviewers: ["secondConsumer"] });
    expect(
      await f.revert(signer, "recordJobOutputDecision", [
        exportId,
        OutputDecision.ReviewerApproved,
        f.address("secondConsumer"),
        b32("decision"),
      ]),
    ).toEqual({ errorName: "JobsNotDatasetReviewer", args: [datasetId, f.address("secondConsumer")] });
    await f.write(signer, "recordJobOutputDecision", [
      exportId,
      OutputDecision.ReviewerApproved,
      f.address("reviewer"),
      b32("decision"),
    ]);
    await f.write(signer, "recordJobResultReleased", [exportId, b32("manifest")]);
    expect(await f.read("jobStatus", [exportId])).toBe(JobStatus.ResultReleased);
    expect(await f.revert(signer, "recordJobResultReleased", [exportId, b32("manifest 2")])).toEqual({
      errorName: "JobsIllegalTransition",
      args: [exportId, JobStatus.ResultReleased, JobStatus.ResultReleased],
    });
  });

  it("error: refused for a closed or unknown session, an uncommitted version, a used id, zero values, non-signers", async () => {
    const { datasetId, sessionId } = await openSession("export-bad");
    const args = (over: Partial<Record<"session" | "id" | "version" | "key", unknown>> = {}) => [
      datasetId,
      over.session ?? sessionId,
      over.id ?? b32("export-bad export"),
      over.version ?? 1,
      over.key ?? RESULT_KEY,
      b32("commitment"),
    ];
    expect(await f.revert(signer, "recordExploreExportSubmitted", args({ session: b32("nope") }))).toEqual({
      errorName: "ExploreSessionNotOpen",
      args: [datasetId, b32("nope")],
    });
    expect(await f.revert(signer, "recordExploreExportSubmitted", args({ version: 2 }))).toEqual({
      errorName: "DatasetsUnknownVersion",
      args: [datasetId, 2],
    });
    expect(
      (await f.revert(signer, "recordExploreExportSubmitted", args({ key: `0x${"00".repeat(32)}` })))
        .errorName,
    ).toBe("JobsZeroValue");
    expect((await f.revert("consumer", "recordExploreExportSubmitted", args())).errorName).toBe(
      "PolicyUnauthorizedSigner",
    );
    await f.write(signer, "recordExploreExportSubmitted", args());
    expect(await f.revert(signer, "recordExploreExportSubmitted", args())).toEqual({
      errorName: "JobsAlreadyRequested",
      args: [b32("export-bad export")],
    });
    await f.write(signer, "recordExploreSessionClosed", [datasetId, sessionId, 0]);
    expect(
      (await f.revert(signer, "recordExploreExportSubmitted", args({ id: b32("after close") }))).errorName,
    ).toBe("ExploreSessionNotOpen");
  });
});
