/**
 * ensureRentalActive: the consumer's rental must still be active at key release (runs in Node).
 */
import { describe, expect, it } from "vitest";
import { ensureRentalActive } from "./ensure-rental-active";
import { fakeChain, testJob } from "./test-support";

describe("ensureRentalActive", () => {
  it("passes while the rental is active", async () => {
    const job = testJob();
    await expect(ensureRentalActive({ chain: fakeChain([job]), job })).resolves.toBeUndefined();
  });

  it("error: the rental expired since the job was requested", async () => {
    const job = testJob();
    const chain = fakeChain([job]);
    chain.activeRentals.clear();
    await expect(ensureRentalActive({ chain, job })).rejects.toMatchObject({
      code: "KEY_RELEASE_DENIED",
      detail: { reason: "RENTAL_INACTIVE", consumer: job.consumer },
    });
  });
});
