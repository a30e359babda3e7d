/**
 * Privacy Mode job lifecycle on a real anvil (tests only): every record's success path and event, the
 * on-chain policy checks, and each illegal transition.
 */
import { JobFailureReason, JobStatus, OutputDecision } from "@cce4long/protocol/chain/index";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b32, type HubFixture, only, startHubFixture } from "./helpers/hub-fixture";
import { IMAGE, MEASUREMENT, RESULT_KEY, rentedDataset, requestJob, SPEC } from "./helpers/scenario";

let f: HubFixture;
let datasetId: Hex;

beforeAll(async () => {
  f = await startHubFixture();
  datasetId = await rentedDataset(f, "jobs");
});
afterAll(async () => {
  await f?.stop();
});

const signer = "privacyPlaneSigner" as const;

async function status(jobId: Hex): Promise<number> {
  return f.read<number>("jobStatus", [jobId]);
}

describe("requestJob", () => {
  it("stores the request and emits JobRequested with its commitments", async () => {
    const { events } = await f.write("consumer", "requestJob", [
      b32("request"),
      datasetId,
      IMAGE,
      SPEC,
      RESULT_KEY,
    ]);
    const event = only(events, "JobRequested");
    const jobId = event.args.jobId;
    expect(event.args).toEqual({
      datasetId,
      jobId,
      consumer: f.address("consumer"),
      imageDigest: IMAGE,
      specCommitment: SPEC,
      resultPublicKey: RESULT_KEY,
    });
    expect(jobId).toBe(await f.read("jobIdOf", [f.address("consumer"), b32("request")]));
    const job = await f.read<Record<string, unknown>>("getJob", [jobId]);
    expect(job).toMatchObject({
      consumer: f.address("consumer"),
      status: JobStatus.Requested,
      datasetVersion: 0,
      datasetId,
      imageDigest: IMAGE,
      specCommitment: SPEC,
      resultPublicKey: RESULT_KEY,
    });
  });

  it("error: the same salt twice reverts instead of duplicating the job", async () => {
    const jobId = await requestJob(f, datasetId, "twice");
    const reverted = await f.revert("consumer", "requestJob", [
      b32("twice"),
      datasetId,
      IMAGE,
      SPEC,
      RESULT_KEY,
    ]);
    expect(reverted).toEqual({ errorName: "JobsAlreadyRequested", args: [jobId] });
  });

  it("error: a consumer with no rental cannot request a job", async () => {
    const reverted = await f.revert("secondConsumer", "requestJob", [
      b32("x"),
      datasetId,
      IMAGE,
      SPEC,
      RESULT_KEY,
    ]);
    expect(reverted).toEqual({
      errorName: "JobsRentalInactive",
      args: [datasetId, f.address("secondConsumer")],
    });
  });

  it("error: a disallowed image digest is refused", async () => {
    const other = b32("unlisted image");
    const reverted = await f.revert("consumer", "requestJob", [
      b32("img"),
      datasetId,
      other,
      SPEC,
      RESULT_KEY,
    ]);
    expect(reverted).toEqual({ errorName: "JobsImageDigestNotAllowed", args: [datasetId, other] });
  });

  it("error: a zero spec commitment or result key is refused", async () => {
    const zero = b32("");
    expect(
      (await f.revert("consumer", "requestJob", [b32("z1"), datasetId, IMAGE, zero, RESULT_KEY])).errorName,
    ).toBe("JobsZeroValue");
    expect(
      (await f.revert("consumer", "requestJob", [b32("z2"), datasetId, IMAGE, SPEC, zero])).errorName,
    ).toBe("JobsZeroValue");
  });

  it("error: an unknown dataset is refused", async () => {
    const unknown = b32("no such dataset");
    const reverted = await f.revert("consumer", "requestJob", [b32("u"), unknown, IMAGE, SPEC, RESULT_KEY]);
    expect(reverted).toEqual({ errorName: "DatasetsUnknownDataset", args: [unknown] });
  });
});

describe("the automatic path", () => {
  it("records dispatch, key release, outputs, auto-approval and result release with their events", async () => {
    const jobId = await requestJob(f, datasetId, "auto");

    const dispatched = await f.write(signer, "recordJobDispatched", [jobId, 1]);
    expect(only(dispatched.events, "JobDispatched").args).toEqual({ datasetId, jobId, datasetVersion: 1 });
    expect(await status(jobId)).toBe(JobStatus.Dispatched);

    const released = await f.write(signer, "recordJobKeyReleased", [jobId, MEASUREMENT]);
    expect(only(released.events, "JobKeyReleased").args).toEqual({
      datasetId,
      jobId,
      measurementId: MEASUREMENT,
    });

    const outputs = b32("outputs");
    const submitted = await f.write(signer, "recordJobOutputsSubmitted", [jobId, outputs]);
    expect(only(submitted.events, "JobOutputsSubmitted").args).toEqual({
      datasetId,
      jobId,
      outputsCommitment: outputs,
    });

    const zeroAddress = "0x0000000000000000000000000000000000000000";
    const decided = await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.AutoApproved,
      zeroAddress,
      b32("gate rules"),
    ]);
    expect(only(decided.events, "JobOutputDecided").args).toEqual({
      datasetId,
      jobId,
      reviewer: zeroAddress,
      decision: OutputDecision.AutoApproved,
      decisionHash: b32("gate rules"),
    });
    expect(await status(jobId)).toBe(JobStatus.Approved);

    const manifest = b32("manifest hash");
    const result = await f.write(signer, "recordJobResultReleased", [jobId, manifest]);
    expect(only(result.events, "JobResultReleased").args).toEqual({
      datasetId,
      jobId,
      resultManifestHash: manifest,
    });
    expect(await status(jobId)).toBe(JobStatus.ResultReleased);
    expect(await f.read<{ datasetVersion: number }>("getJob", [jobId])).toMatchObject({ datasetVersion: 1 });
  });

  it("auto-rejection ends the job in Rejected, from which nothing more can be recorded", async () => {
    const jobId = await jobWithOutputs("auto-reject");
    await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.AutoRejected,
      zero(),
      b32("rule"),
    ]);
    expect(await status(jobId)).toBe(JobStatus.Rejected);
    const reverted = await f.revert(signer, "recordJobFailed", [jobId, JobFailureReason.Internal]);
    expect(reverted).toEqual({
      errorName: "JobsIllegalTransition",
      args: [jobId, JobStatus.Rejected, JobStatus.Failed],
    });
  });
});

describe("the review path", () => {
  it("a named reviewer approves outputs under review", async () => {
    const jobId = await jobWithOutputs("review-approve");
    await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.NeedsReview,
      zero(),
      b32("flags"),
    ]);
    expect(await status(jobId)).toBe(JobStatus.UnderReview);
    const { events } = await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.ReviewerApproved,
      f.address("reviewer"),
      b32("eip712 decision"),
    ]);
    expect(only(events, "JobOutputDecided").args).toMatchObject({
      reviewer: f.address("reviewer"),
      decision: OutputDecision.ReviewerApproved,
    });
    expect(await status(jobId)).toBe(JobStatus.Approved);
  });

  it("changes requested lets revised outputs be submitted again", async () => {
    const jobId = await jobWithOutputs("review-changes");
    await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.NeedsReview,
      zero(),
      b32("flags"),
    ]);
    await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.ReviewerChangesRequested,
      f.address("reviewer"),
      b32("please round"),
    ]);
    expect(await status(jobId)).toBe(JobStatus.ChangesRequested);
    await f.write(signer, "recordJobOutputsSubmitted", [jobId, b32("rounded outputs")]);
    expect(await status(jobId)).toBe(JobStatus.OutputsSubmitted);
  });

  it("a reviewer rejection ends the job in Rejected", async () => {
    const jobId = await jobWithOutputs("review-reject");
    await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.NeedsReview,
      zero(),
      b32("flags"),
    ]);
    await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.ReviewerRejected,
      f.address("reviewer"),
      b32("disclosive"),
    ]);
    expect(await status(jobId)).toBe(JobStatus.Rejected);
  });

  it("error: someone the provider did not name cannot decide", async () => {
    const jobId = await jobWithOutputs("review-stranger");
    await f.write(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.NeedsReview,
      zero(),
      b32("flags"),
    ]);
    const stranger = f.address("secondConsumer");
    const reverted = await f.revert(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.ReviewerApproved,
      stranger,
      b32("d"),
    ]);
    expect(reverted).toEqual({ errorName: "JobsNotDatasetReviewer", args: [datasetId, stranger] });
  });

  it("error: decisions whose reviewer argument does not fit their kind are refused", async () => {
    const jobId = await jobWithOutputs("decision-kind");
    const reviewer = f.address("reviewer");
    const cases: [number, string][] = [
      [OutputDecision.None, zero()],
      [OutputDecision.AutoApproved, reviewer],
      [OutputDecision.ReviewerApproved, zero()],
    ];
    for (const [decision, who] of cases) {
      const reverted = await f.revert(signer, "recordJobOutputDecision", [jobId, decision, who, b32("d")]);
      expect(reverted).toEqual({ errorName: "JobsInvalidDecision", args: [decision, who] });
    }
    expect((await f.revert(signer, "recordJobOutputDecision", [jobId, 1, zero(), b32("")])).errorName).toBe(
      "JobsZeroValue",
    );
  });

  it("error: a reviewer decision on outputs not under review is an illegal transition", async () => {
    const jobId = await jobWithOutputs("review-early");
    const reverted = await f.revert(signer, "recordJobOutputDecision", [
      jobId,
      OutputDecision.ReviewerApproved,
      f.address("reviewer"),
      b32("d"),
    ]);
    expect(reverted).toEqual({
      errorName: "JobsIllegalTransition",
      args: [jobId, JobStatus.OutputsSubmitted, JobStatus.Approved],
    });
  });
});

describe("illegal transitions and unauthorized recorders", () => {
  it("error: key release before dispatch", async () => {
    const jobId = await requestJob(f, datasetId, "early-key");
    const reverted = await f.revert(signer, "recordJobKeyReleased", [jobId, MEASUREMENT]);
    expect(reverted).toEqual({
      errorName: "JobsIllegalTransition",
      args: [jobId, JobStatus.Requested, JobStatus.KeyReleased],
    });
  });

  it("error: dispatching twice (a redelivered message) reverts", async () => {
    const jobId = await requestJob(f, datasetId, "double-dispatch");
    await f.write(signer, "recordJobDispatched", [jobId, 1]);
    const reverted = await f.revert(signer, "recordJobDispatched", [jobId, 1]);
    expect(reverted).toEqual({
      errorName: "JobsIllegalTransition",
      args: [jobId, JobStatus.Dispatched, JobStatus.Dispatched],
    });
  });

  it("error: result release before approval", async () => {
    const jobId = await jobWithOutputs("early-result");
    const reverted = await f.revert(signer, "recordJobResultReleased", [jobId, b32("m")]);
    expect(reverted).toEqual({
      errorName: "JobsIllegalTransition",
      args: [jobId, JobStatus.OutputsSubmitted, JobStatus.ResultReleased],
    });
  });

  it("error: recording a step for an unknown job", async () => {
    const unknown = b32("no such job");
    expect(await f.revert(signer, "recordJobDispatched", [unknown, 1])).toEqual({
      errorName: "JobsUnknownJob",
      args: [unknown],
    });
    expect((await f.revert("consumer", "getJob" as never, [unknown])).errorName).toBe("JobsUnknownJob");
  });

  it("error: a key that is not an authorized signer cannot record any step", async () => {
    const jobId = await requestJob(f, datasetId, "unauthorized");
    for (const role of ["consumer", "provider", "owner"] as const) {
      const reverted = await f.revert(role, "recordJobDispatched", [jobId, 1]);
      expect(reverted).toEqual({ errorName: "PolicyUnauthorizedSigner", args: [f.address(role)] });
    }
    const revoked = await f.revert("reviewer", "recordJobFailed", [jobId, JobFailureReason.Timeout]);
    expect(revoked.errorName).toBe("PolicyUnauthorizedSigner");
  });

  it("error: a version the dataset does not have cannot be dispatched", async () => {
    const jobId = await requestJob(f, datasetId, "bad-version");
    for (const version of [0, 2]) {
      const reverted = await f.revert(signer, "recordJobDispatched", [jobId, version]);
      expect(reverted).toEqual({ errorName: "DatasetsUnknownVersion", args: [datasetId, version] });
    }
  });

  it("error: key release to a disallowed measurement", async () => {
    const jobId = await requestJob(f, datasetId, "bad-measurement");
    await f.write(signer, "recordJobDispatched", [jobId, 1]);
    const other = b32("unknown measurement");
    const reverted = await f.revert(signer, "recordJobKeyReleased", [jobId, other]);
    expect(reverted).toEqual({ errorName: "JobsMeasurementNotAllowed", args: [datasetId, other] });
  });

  it("error: an image disallowed after the request cannot be dispatched", async () => {
    const jobId = await requestJob(f, datasetId, "image-revoked");
    await f.write("owner", "setImageDigestAllowed", [datasetId, IMAGE, false]);
    try {
      const reverted = await f.revert(signer, "recordJobDispatched", [jobId, 1]);
      expect(reverted).toEqual({ errorName: "JobsImageDigestNotAllowed", args: [datasetId, IMAGE] });
    } finally {
      await f.write("owner", "setImageDigestAllowed", [datasetId, IMAGE, true]);
    }
  });
});

describe("failure and cancellation", () => {
  it("records a failure with its reason code from any running state", async () => {
    const jobId = await requestJob(f, datasetId, "fails");
    await f.write(signer, "recordJobDispatched", [jobId, 1]);
    const { events } = await f.write(signer, "recordJobFailed", [jobId, JobFailureReason.Timeout]);
    expect(only(events, "JobFailed").args).toEqual({
      datasetId,
      jobId,
      reasonCode: JobFailureReason.Timeout,
    });
    expect(await status(jobId)).toBe(JobStatus.Failed);
    const reverted = await f.revert(signer, "recordJobFailed", [jobId, JobFailureReason.Timeout]);
    expect(reverted.errorName).toBe("JobsIllegalTransition");
  });

  it("the consumer cancels a job before dispatch", async () => {
    const jobId = await requestJob(f, datasetId, "cancel");
    const { events } = await f.write("consumer", "cancelJob", [jobId]);
    expect(only(events, "JobCancelled").args).toEqual({ datasetId, jobId, consumer: f.address("consumer") });
    expect(await status(jobId)).toBe(JobStatus.Cancelled);
  });

  it("error: only the consumer cancels, and only before dispatch", async () => {
    const jobId = await requestJob(f, datasetId, "cancel-late");
    const other = await f.revert("secondConsumer", "cancelJob", [jobId]);
    expect(other).toEqual({ errorName: "JobsNotConsumer", args: [jobId, f.address("secondConsumer")] });
    await f.write(signer, "recordJobDispatched", [jobId, 1]);
    const late = await f.revert("consumer", "cancelJob", [jobId]);
    expect(late).toEqual({
      errorName: "JobsIllegalTransition",
      args: [jobId, JobStatus.Dispatched, JobStatus.Cancelled],
    });
  });
});

describe("expired rentals", () => {
  it("error: after the rental expires, requests and key releases revert with JobsRentalInactive", async () => {
    const own = await rentedDataset(f, "expiring", "secondConsumer");
    const jobId = await requestJob(f, own, "before-expiry", "secondConsumer");
    await f.write(signer, "recordJobDispatched", [jobId, 1]);
    await f.increaseTime(86_400);
    const request = await f.revert("secondConsumer", "requestJob", [
      b32("after"),
      own,
      IMAGE,
      SPEC,
      RESULT_KEY,
    ]);
    expect(request).toEqual({ errorName: "JobsRentalInactive", args: [own, f.address("secondConsumer")] });
    const release = await f.revert(signer, "recordJobKeyReleased", [jobId, MEASUREMENT]);
    expect(release).toEqual({ errorName: "JobsRentalInactive", args: [own, f.address("secondConsumer")] });
    // the Privacy Plane then records the failure instead
    await f.write(signer, "recordJobFailed", [jobId, JobFailureReason.RentalExpired]);
    expect(await status(jobId)).toBe(JobStatus.Failed);
  });
});

function zero(): Hex {
  return "0x0000000000000000000000000000000000000000";
}

async function jobWithOutputs(label: string): Promise<Hex> {
  const jobId = await requestJob(f, datasetId, label);
  await f.write(signer, "recordJobDispatched", [jobId, 1]);
  await f.write(signer, "recordJobKeyReleased", [jobId, MEASUREMENT]);
  await f.write(signer, "recordJobOutputsSubmitted", [jobId, b32(`outputs ${label}`)]);
  return jobId;
}
