/**
 * The on-chain reason of a job run that did not succeed, from its VM's status report (runs in Node): a
 * lower layer refused as not being the credential's version has its own reason; other agent failures
 * stay internal; a job that ran and failed is the job's own failure.
 */
import { JobFailureReason } from "@cce4long/protocol";
import type { JobRunStatus } from "@cce4long/protocol/jobs/output-bundle";
import { describe, expect, it } from "vitest";
import { failureReasonOf } from "./receive-outputs";

const failedAt = (stage: string, code: string): JobRunStatus => ({
  outcome: "failed",
  exitCode: null,
  signal: null,
  timedOut: false,
  durationMs: 0,
  stage,
  code,
});

describe("failure reason of a VM's status report", () => {
  it("a lower layer that is not the credential's version: DatasetVersionMismatch", () => {
    expect(failureReasonOf(failedAt("manifest-checked", "SEAL_INTEGRITY"))).toBe(
      JobFailureReason.DatasetVersionMismatch,
    );
    expect(failureReasonOf(failedAt("manifest-checked", "DATASET_MANIFEST_INVALID"))).toBe(
      JobFailureReason.DatasetVersionMismatch,
    );
  });

  it("the store unreachable during the check, or a failure at another stage: Internal", () => {
    expect(failureReasonOf(failedAt("manifest-checked", "LOWER_LAYER_UNAVAILABLE"))).toBe(
      JobFailureReason.Internal,
    );
    expect(failureReasonOf(failedAt("mounted", "SEAL_INTEGRITY"))).toBe(JobFailureReason.Internal);
  });

  it("a job that ran and exited non-zero: JobExitedNonZero", () => {
    expect(
      failureReasonOf({
        outcome: "completed",
        exitCode: 3,
        signal: null,
        timedOut: false,
        durationMs: 10,
      }),
    ).toBe(JobFailureReason.JobExitedNonZero);
  });
});
