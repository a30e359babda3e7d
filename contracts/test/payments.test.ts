/**
 * Reentrancy and refusing recipients against provider withdrawals (tests only): a malicious provider
 * contract, compiled here from contracts/test/fixtures, attacks `withdrawEarnings` on a real anvil.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cce4longHubAbi, datasetIdOf } from "@cce4long/protocol/chain/index";
import { type Address, encodeErrorResult, getAddress, type Hex } from "viem";
import { anvil as anvilChain } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileDirectory, contractNamed } from "../scripts/compile";
import { b32, decodeRevert, type HubFixture, startHubFixture, TERMS } from "./helpers/hub-fixture";

const here = dirname(fileURLToPath(import.meta.url));
// The hub's errors bubble up through the attacker's calls, so decode with both ABIs.
const hubErrors = cce4longHubAbi.filter((item) => item.type === "error");
let abi: never;

let f: HubFixture;
let attackerAddress: Address;
let datasetId: Hex;
const PRICE = TERMS.pricePerPeriod;

async function call(functionName: string, args: readonly unknown[] = []): Promise<void> {
  const wallet = f.wallet("owner");
  const hash = await wallet.writeContract({
    address: attackerAddress,
    abi,
    functionName,
    args,
    account: wallet.account!,
    chain: anvilChain,
  } as never);
  const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
}

async function view<T>(functionName: string): Promise<T> {
  return (await f.publicClient.readContract({ address: attackerAddress, abi, functionName } as never)) as T;
}

beforeAll(async () => {
  // Compiled here, not at import time, so the hook timeout (not the collection phase) bounds solc.
  const attacker = contractNamed(compileDirectory(join(here, "fixtures"), here), "ReentrantProvider");
  abi = [...attacker.abi, ...hubErrors] as never;
  f = await startHubFixture();
  const wallet = f.wallet("owner");
  const hash = await wallet.deployContract({
    abi,
    bytecode: attacker.bytecode,
    args: [f.hub],
    account: wallet.account!,
    chain: anvilChain,
  } as never);
  attackerAddress = getAddress((await f.publicClient.waitForTransactionReceipt({ hash })).contractAddress!);
  await call("register", [b32("attack"), PRICE]);
  datasetId = datasetIdOf(attackerAddress, b32("attack"));
  await f.write("consumer", "rent", [datasetId, 3], 3n * PRICE);
});
afterAll(async () => {
  await f?.stop();
});

describe("withdrawEarnings under attack", () => {
  it("error: a recipient that reverts makes the withdrawal revert and keeps its balance", async () => {
    await call("setRejectPayments", [true]);
    try {
      await f.publicClient.simulateContract({
        address: attackerAddress,
        abi,
        functionName: "withdraw",
        account: f.address("owner"),
      } as never);
      expect.unreachable("the withdrawal should revert");
    } catch (error) {
      expect(decodeRevert(error)).toEqual({
        errorName: "PaymentsTransferFailed",
        args: [attackerAddress, 3n * PRICE],
      });
    }
    expect(await f.read("earningsOf", [attackerAddress])).toBe(3n * PRICE);
    await call("setRejectPayments", [false]);
  });

  it("error: a re-entrant withdrawal hits ReentrancyGuardReentrantCall and the attacker is paid once", async () => {
    const hubBalance = await f.publicClient.getBalance({ address: f.hub });
    await call("withdraw");
    expect(await view<bigint>("reentryAttempts")).toBe(1n);
    const expected = encodeErrorResult({ abi: cce4longHubAbi, errorName: "ReentrancyGuardReentrantCall" });
    expect(await view<Hex>("reentryError")).toBe(expected);
    expect(await view<bigint>("received")).toBe(3n * PRICE);
    expect(await f.publicClient.getBalance({ address: attackerAddress })).toBe(3n * PRICE);
    expect(await f.publicClient.getBalance({ address: f.hub })).toBe(hubBalance - 3n * PRICE);
    expect(await f.read("earningsOf", [attackerAddress])).toBe(0n);
  });

  it("error: the transfer failure is reported as PaymentsTransferFailed when called directly", async () => {
    await f.write("secondConsumer", "rent", [datasetId, 1], PRICE);
    await call("setRejectPayments", [true]);
    try {
      await f.publicClient.simulateContract({
        address: f.hub,
        abi: cce4longHubAbi,
        functionName: "withdrawEarnings",
        account: attackerAddress,
      });
      expect.unreachable("the withdrawal should revert");
    } catch (error) {
      expect(decodeRevert(error)).toEqual({
        errorName: "PaymentsTransferFailed",
        args: [attackerAddress, PRICE],
      });
    }
    await call("setRejectPayments", [false]);
  });
});
