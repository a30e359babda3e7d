/**
 * Rentals and provider earnings on a real anvil (tests only): exact payment, extension, expiry by time,
 * retirement semantics, pull withdrawals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b32, type HubFixture, only, startHubFixture, TERMS } from "./helpers/hub-fixture";
import { registerDataset } from "./helpers/scenario";

let f: HubFixture;
const PRICE = TERMS.pricePerPeriod;
const PERIOD = TERMS.periodSeconds;

beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => {
  await f?.stop();
});

async function blockTime(blockNumber: bigint): Promise<bigint> {
  return (await f.publicClient.getBlock({ blockNumber })).timestamp;
}

describe("rent", () => {
  it("starts a rental for N periods, emits RentalStarted and credits the provider", async () => {
    const id = await registerDataset(f, "rent");
    const before = await f.read<bigint>("earningsOf", [f.address("provider")]);
    expect(await f.read("rentalPrice", [id, 3])).toBe(3n * PRICE);
    const { receipt, events } = await f.write("consumer", "rent", [id, 3], 3n * PRICE);
    const expiresAt = (await blockTime(receipt.blockNumber)) + 3n * PERIOD;
    expect(only(events, "RentalStarted").args).toEqual({
      datasetId: id,
      consumer: f.address("consumer"),
      periods: 3,
      expiresAt,
      paid: 3n * PRICE,
    });
    expect(await f.read("isRentalActive", [id, f.address("consumer")])).toBe(true);
    expect(await f.read("rentalExpiresAt", [id, f.address("consumer")])).toBe(expiresAt);
    expect(await f.read("earningsOf", [f.address("provider")])).toBe(before + 3n * PRICE);
    expect(await f.read("isRentalActive", [id, f.address("secondConsumer")])).toBe(false);
  });

  it("error: paying less than the price", async () => {
    const id = await registerDataset(f, "underpay");
    expect(await f.revert("consumer", "rent", [id, 2], 2n * PRICE - 1n)).toEqual({
      errorName: "PaymentsInsufficientValue",
      args: [2n * PRICE, 2n * PRICE - 1n],
    });
    expect(await f.revert("consumer", "rent", [id, 1], 0n)).toEqual({
      errorName: "PaymentsInsufficientValue",
      args: [PRICE, 0n],
    });
  });

  it("error: paying more than the price (no change is given)", async () => {
    const id = await registerDataset(f, "overpay");
    expect(await f.revert("consumer", "rent", [id, 1], PRICE + 1n)).toEqual({
      errorName: "PaymentsExcessValue",
      args: [PRICE, PRICE + 1n],
    });
  });

  it("error: zero periods, too many periods, an unknown dataset", async () => {
    const id = await registerDataset(f, "periods");
    expect(await f.revert("consumer", "rent", [id, 0], 0n)).toEqual({
      errorName: "RentalsInvalidPeriods",
      args: [0],
    });
    expect(await f.revert("consumer", "rent", [id, 10_001], 10_001n * PRICE)).toEqual({
      errorName: "RentalsInvalidPeriods",
      args: [10_001],
    });
    const unknown = b32("unknown");
    expect(await f.revert("consumer", "rent", [unknown, 1], PRICE)).toEqual({
      errorName: "DatasetsUnknownDataset",
      args: [unknown],
    });
  });

  it("error: renting again while active (extend instead)", async () => {
    const id = await registerDataset(f, "rent-twice");
    const { events } = await f.write("consumer", "rent", [id, 1], PRICE);
    const expiresAt = only(events, "RentalStarted").args.expiresAt;
    expect(await f.revert("consumer", "rent", [id, 1], PRICE)).toEqual({
      errorName: "RentalsAlreadyActive",
      args: [id, f.address("consumer"), expiresAt],
    });
  });

  it("a free dataset rents for zero and credits nothing", async () => {
    const id = await registerDataset(f, "free", { terms: { ...TERMS, pricePerPeriod: 0n } });
    const before = await f.read<bigint>("earningsOf", [f.address("provider")]);
    await f.write("secondConsumer", "rent", [id, 1], 0n);
    expect(await f.read("isRentalActive", [id, f.address("secondConsumer")])).toBe(true);
    expect(await f.read("earningsOf", [f.address("provider")])).toBe(before);
  });
});

describe("extendRental and expiry", () => {
  it("extends from the current expiry, not from now", async () => {
    const id = await registerDataset(f, "extend");
    const started = await f.write("consumer", "rent", [id, 1], PRICE);
    const first = only(started.events, "RentalStarted").args.expiresAt!;
    const { events } = await f.write("consumer", "extendRental", [id, 2], 2n * PRICE);
    expect(only(events, "RentalExtended").args).toEqual({
      datasetId: id,
      consumer: f.address("consumer"),
      periods: 2,
      expiresAt: first + 2n * PERIOD,
      paid: 2n * PRICE,
    });
  });

  it("a rental expires by time alone; extending then fails and renting starts afresh", async () => {
    const id = await registerDataset(f, "expire", { terms: { ...TERMS, periodSeconds: 100n } });
    const started = await f.write("secondConsumer", "rent", [id, 1], PRICE);
    const expiresAt = only(started.events, "RentalStarted").args.expiresAt!;
    await f.mineAt(expiresAt - 1n);
    expect(await f.read("isRentalActive", [id, f.address("secondConsumer")])).toBe(true);
    await f.mineAt(expiresAt);
    expect(await f.read("isRentalActive", [id, f.address("secondConsumer")])).toBe(false);
    expect(await f.revert("secondConsumer", "extendRental", [id, 1], PRICE)).toEqual({
      errorName: "RentalsNotActive",
      args: [id, f.address("secondConsumer")],
    });
    const { receipt, events } = await f.write("secondConsumer", "rent", [id, 1], PRICE);
    expect(only(events, "RentalStarted").args.expiresAt).toBe((await blockTime(receipt.blockNumber)) + 100n);
  });

  it("retirement stops new rentals and extensions but honours running rentals until they expire", async () => {
    const id = await registerDataset(f, "retire-running");
    await f.write("consumer", "rent", [id, 1], PRICE);
    await f.write("provider", "retireDataset", [id]);
    expect(await f.read("isRentalActive", [id, f.address("consumer")])).toBe(true);
    const retired = { errorName: "DatasetsRetired", args: [id] };
    expect(await f.revert("consumer", "extendRental", [id, 1], PRICE)).toEqual(retired);
    expect(await f.revert("secondConsumer", "rent", [id, 1], PRICE)).toEqual(retired);
  });
});

describe("withdrawEarnings", () => {
  it("pays the provider its whole balance once; a second withdrawal reverts", async () => {
    const id = await registerDataset(f, "withdraw", { provider: "secondProvider" });
    await f.write("consumer", "rent", [id, 2], 2n * PRICE);
    const provider = f.address("secondProvider");
    const owed = await f.read<bigint>("earningsOf", [provider]);
    expect(owed).toBe(2n * PRICE);
    const balanceBefore = await f.publicClient.getBalance({ address: provider });
    const { receipt, events } = await f.write("secondProvider", "withdrawEarnings", []);
    expect(only(events, "EarningsWithdrawn").args).toEqual({ provider, amount: owed });
    const gas = receipt.gasUsed * receipt.effectiveGasPrice;
    expect(await f.publicClient.getBalance({ address: provider })).toBe(balanceBefore + owed - gas);
    expect(await f.read("earningsOf", [provider])).toBe(0n);
    expect(await f.revert("secondProvider", "withdrawEarnings", [])).toEqual({
      errorName: "PaymentsNothingToWithdraw",
      args: [provider],
    });
  });
});
