/**
 * ensureMeasurementAllowed: the on-chain policy decides, per dataset (runs in Node).
 */
import { describe, expect, it } from "vitest";
import { ensureMeasurementAllowed } from "./ensure-measurement-allowed";
import { b32, fakeChain } from "./test-support";

describe("ensureMeasurementAllowed", () => {
  it("passes a measurement the policy allows for the dataset", async () => {
    const chain = fakeChain();
    chain.allowedMeasurements.add(b32("a"));
    await expect(
      ensureMeasurementAllowed({ chain, datasetId: b32("2"), measurementId: b32("a") }),
    ).resolves.toBeUndefined();
  });

  it("error: a measurement the policy does not allow", async () => {
    const chain = fakeChain();
    chain.allowedMeasurements.add(b32("a"));
    await expect(
      ensureMeasurementAllowed({ chain, datasetId: b32("2"), measurementId: b32("b") }),
    ).rejects.toMatchObject({
      code: "KEY_RELEASE_DENIED",
      message: "Key release denied",
      detail: { reason: "MEASUREMENT_NOT_ALLOWED", measurementId: b32("b") },
    });
  });
});
