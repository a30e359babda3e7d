/**
 * The `cce4long` CLI against the running local platform (developer machine / CI): a provider
 * registers a dataset, anyone lists it through the API, a consumer rents it, the provider withdraws;
 * and the documented exit codes on bad input, missing wallet and reverted transactions.
 */
import { describe, expect, inject, it } from "vitest";
import { runCliProcess } from "./run-cli";

const stack = inject("stack");

const cli = (...args: string[]) => runCliProcess(stack, ...args);

describe("cce4long CLI on the local platform", () => {
  let datasetId = "";

  it("registers a dataset as its provider", async () => {
    const r = await cli(
      "--json",
      "--as",
      "provider",
      "dataset",
      "register",
      "--name",
      "CLI cohort",
      "--price",
      "0.01",
      "--period-days",
      "30",
      "--explore",
    );
    expect(r.code, r.stderr).toBe(0);
    datasetId = (JSON.parse(r.stdout) as { datasetId: string }).datasetId;
    expect(datasetId).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("lists it in the catalogue through the API", async () => {
    const r = await cli("dataset", "list");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(datasetId);
    expect(r.stdout).toContain("CLI cohort");
  });

  it("rents it as a consumer and lets the provider withdraw the payment", async () => {
    const rent = await cli("--json", "--as", "consumer", "rent", datasetId, "--periods", "2");
    expect(rent.code, rent.stderr).toBe(0);
    expect((JSON.parse(rent.stdout) as { paid: string }).paid).toBe("20000000000000000");
    const withdraw = await cli("--json", "--as", "provider", "withdraw");
    expect(withdraw.code, withdraw.stderr).toBe(0);
    expect(BigInt((JSON.parse(withdraw.stdout) as { amount: string }).amount)).toBeGreaterThanOrEqual(
      20_000_000_000_000_000n,
    );
    const again = await cli("--as", "provider", "withdraw");
    expect(again.code).toBe(8);
    expect(again.stderr).toContain("nothing to withdraw");
  });

  it("exits 5 when a transaction needs a wallet and none is given", async () => {
    const r = await cli("rent", datasetId);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("AUTH_REQUIRED");
  });

  it("exits 3 on a malformed dataset id, before touching the chain", async () => {
    const r = await cli("--as", "consumer", "rent", "0x1234");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("not a dataset id");
  });

  it("exits 8 naming the contract error when the chain refuses (retired dataset)", async () => {
    expect((await cli("--as", "provider", "dataset", "retire", datasetId)).code).toBe(0);
    const r = await cli("--as", "secondConsumer", "rent", datasetId);
    expect(r.code).toBe(8);
    expect(r.stderr).toMatch(/CHAIN_REVERTED.*rent reverted: \w+/);
  });

  it("exits 2 on an unknown command", async () => {
    expect((await cli("no-such-command")).code).toBe(2);
  });
});
