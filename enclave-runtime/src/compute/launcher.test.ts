/**
 * Tests of the compute-launcher contract shared by every implementation (runs in Node under vitest).
 */
import { describe, expect, it } from "vitest";
import { COMPUTE_ERROR_CODES, isRetryableComputeError, parseLaunchJob } from "./launcher";

const JOB = {
  jobId: `0x${"1f".repeat(32)}`,
  datasetId: `0x${"d4".repeat(32)}`,
  credential: "c4l.jc.v1.payload.signature",
  imageDigest: `sha256:${"9b".repeat(32)}`,
  machineProfile: "standard",
  maxRunSeconds: 3600,
};

function failure(input: unknown): { code: string; message: string; detail: unknown } {
  try {
    parseLaunchJob(input);
  } catch (error) {
    return error as { code: string; message: string; detail: unknown };
  }
  throw new Error("expected a failure");
}

describe("parseLaunchJob", () => {
  it("accepts a well-formed job unchanged", () => {
    expect(parseLaunchJob(JOB)).toEqual(JOB);
  });

  it.each([
    ["jobId", { jobId: `0x${"1F".repeat(32)}` }],
    ["datasetId", { datasetId: "0x00" }],
    ["imageDigest", { imageDigest: "alpine:latest" }],
    ["machineProfile", { machineProfile: "huge" }],
    ["maxRunSeconds", { maxRunSeconds: 8 * 24 * 3600 }],
    ["credential", { credential: "" }],
    ["credential", { credential: "x".repeat(16 * 1024 + 1) }],
  ])("error: VALIDATION_FAILED naming %s", (field, change) => {
    const error = failure({ ...JOB, ...change });
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain(field);
  });

  it("error: an unknown field is refused (a typo must not silently drop a setting)", () => {
    expect(failure({ ...JOB, maxRunSecond: 60 }).message).toContain("Invalid launch request");
  });

  it("error: a rejected credential is never echoed, in the message or the detail", () => {
    const secret = "secret-credential with-a-space";
    const error = failure({ ...JOB, credential: secret });
    expect(`${error.message} ${JSON.stringify(error.detail)}`).not.toContain("secret-credential");
  });
});

describe("isRetryableComputeError", () => {
  it("retries quota, capacity and provider outages; never a rejection or a duplicate launch", () => {
    expect(COMPUTE_ERROR_CODES.filter(isRetryableComputeError)).toEqual([
      "COMPUTE_QUOTA_EXCEEDED",
      "COMPUTE_CAPACITY_UNAVAILABLE",
      "COMPUTE_PROVIDER_UNAVAILABLE",
    ]);
    expect(isRetryableComputeError("VALIDATION_FAILED")).toBe(false);
  });
});
