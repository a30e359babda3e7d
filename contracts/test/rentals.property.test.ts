/**
 * Property test of rentals on a real anvil (tests only): random sequences of rent, extend and time
 * passing, checked step by step against a model of the expiry and of the provider's earnings.
 */
import { cce4longHubAbi } from "@cce4long/protocol/chain/index";
import fc from "fast-check";
import type { Hex } from "viem";
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeRevert, type HubFixture, startHubFixture } from "./helpers/hub-fixture";
import { registerDataset } from "./helpers/scenario";

const PERIOD = 1_000n;
const PRICE = 7n;

type Step = { kind: "rent" | "extend"; periods: number } | { kind: "wait"; seconds: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("rent" as const, "extend" as const),
    periods: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 2_500 }) }),
);

let f: HubFixture;
let runs = 0;

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.stop();
});

async function attempt(kind: "rent" | "extend", datasetId: Hex, periods: number): Promise<bigint | string> {
  const functionName = kind === "rent" ? "rent" : "extendRental";
  const value = PRICE * BigInt(periods);
  try {
    await f.publicClient.simulateContract({
      address: f.hub,
      abi: cce4longHubAbi,
      functionName,
      args: [datasetId, periods],
      value,
      account: f.address("consumer"),
    });
  } catch (error) {
    return decodeRevert(error).errorName;
  }
  const { receipt } = await f.write("consumer", functionName, [datasetId, periods], value);
  return (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
}

it("expiry and earnings always match the model; rent only when inactive, extend only when active", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 8 }), async (steps) => {
      runs += 1;
      const terms = {
        pricePerPeriod: PRICE,
        periodSeconds: PERIOD,
        exploreOffered: false,
        freePreview: false,
      };
      const datasetId = await registerDataset(f, `property ${runs}`, { terms, provider: "secondProvider" });
      const provider = f.address("secondProvider");
      let expiry = 0n;
      let earnings = await f.read<bigint>("earningsOf", [provider]);
      for (const step of steps) {
        if (step.kind === "wait") {
          await f.increaseTime(step.seconds);
        } else {
          const outcome = await attempt(step.kind, datasetId, step.periods);
          if (typeof outcome === "string") {
            // The call was simulated in the pending block, whose timestamp is `now` or a few seconds on.
            const now = await f.timestamp();
            if (step.kind === "rent") {
              expect(outcome).toBe("RentalsAlreadyActive");
              expect(expiry > now).toBe(true);
            } else {
              expect(outcome).toBe("RentalsNotActive");
              expect(expiry <= now + 5n).toBe(true);
            }
            continue;
          }
          const minedAt = outcome;
          if (step.kind === "rent") {
            expect(minedAt >= expiry).toBe(true);
            expiry = minedAt + PERIOD * BigInt(step.periods);
          } else {
            expect(minedAt < expiry).toBe(true);
            expiry += PERIOD * BigInt(step.periods);
          }
          earnings += PRICE * BigInt(step.periods);
        }
        const now = await f.timestamp();
        expect(await f.read("rentalExpiresAt", [datasetId, f.address("consumer")])).toBe(expiry);
        expect(await f.read("isRentalActive", [datasetId, f.address("consumer")])).toBe(now < expiry);
        expect(await f.read("earningsOf", [provider])).toBe(earnings);
      }
    }),
    { numRuns: 25, seed: 4242 },
  );
}, 120_000);
