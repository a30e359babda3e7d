/**
 * Test fixture for the hub contract (tests only, developer machine and CI): a throwaway anvil on a
 * free port, a fresh deployment, one wallet per local role, and helpers to write, read and expect reverts.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@cce4long/platform/ports";
import { type RunningAnvil, startAnvil } from "@cce4long/platform/services/anvil";
import { cce4longHubAbi, type Deployment } from "@cce4long/protocol/chain/index";
import {
  type Address,
  BaseError,
  type ContractFunctionName,
  ContractFunctionRevertedError,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type ParseEventLogsReturnType,
  type PublicClient,
  parseEventLogs,
  type TestClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { anvil as anvilChain } from "viem/chains";
import { deployContracts } from "../../scripts/deploy";
import {
  ANVIL_ACCOUNT0_KEY,
  LOCAL_ROLE_INDEX,
  type LocalRole,
  localAccount,
} from "../../scripts/local-accounts";

export type HubAbi = typeof cce4longHubAbi;
export type WriteName = ContractFunctionName<HubAbi, "nonpayable" | "payable">;
export type ReadName = ContractFunctionName<HubAbi, "view" | "pure">;
export type HubEvents = ParseEventLogsReturnType<HubAbi>;

export interface Written {
  receipt: TransactionReceipt;
  events: HubEvents;
}

export interface Reverted {
  errorName: string;
  args: readonly unknown[];
}

export interface HubFixture {
  rpcUrl: string;
  deployment: Deployment;
  hub: Address;
  publicClient: PublicClient;
  testClient: TestClient;
  address(role: LocalRole): Address;
  wallet(role: LocalRole): WalletClient;
  write(role: LocalRole, functionName: WriteName, args: readonly unknown[], value?: bigint): Promise<Written>;
  read<T = unknown>(functionName: ReadName, args?: readonly unknown[]): Promise<T>;
  /** Simulates the call and returns the decoded custom error; fails the test if it does not revert. */
  revert(
    role: LocalRole,
    functionName: WriteName,
    args: readonly unknown[],
    value?: bigint,
  ): Promise<Reverted>;
  increaseTime(seconds: number): Promise<void>;
  /** Mines one block with exactly this timestamp (immune to wall-clock drift between calls). */
  mineAt(timestamp: bigint): Promise<void>;
  timestamp(): Promise<bigint>;
  stop(): Promise<void>;
}

const POLLING_MS = 20;

export async function startHubFixture(): Promise<HubFixture> {
  const dir = mkdtempSync(join(tmpdir(), "cce4long-contracts-"));
  const anvil: RunningAnvil = await startAnvil({ port: await freePort(), logFile: join(dir, "anvil.log") });
  try {
    const transport = http(anvil.rpcUrl);
    const publicClient = createPublicClient({ chain: anvilChain, transport, pollingInterval: POLLING_MS });
    const testClient = createTestClient({
      chain: anvilChain,
      mode: "anvil",
      transport,
      pollingInterval: POLLING_MS,
    });
    const deployment = await deployContracts({
      rpcUrl: anvil.rpcUrl,
      deployerPrivateKey: ANVIL_ACCOUNT0_KEY,
      outFile: join(dir, "deployment.json"),
      privacyPlaneSigners: [localAccount("privacyPlaneSigner").address],
    });
    const hub = deployment.contracts.hub.address;
    const wallets = new Map<LocalRole, WalletClient>();
    for (const role of Object.keys(LOCAL_ROLE_INDEX) as LocalRole[]) {
      wallets.set(
        role,
        createWalletClient({
          account: localAccount(role),
          chain: anvilChain,
          transport,
          pollingInterval: POLLING_MS,
        }),
      );
    }
    const wallet = (role: LocalRole): WalletClient => wallets.get(role)!;
    return {
      rpcUrl: anvil.rpcUrl,
      deployment,
      hub,
      publicClient,
      testClient,
      address: (role) => localAccount(role).address,
      wallet,
      async write(role, functionName, args, value) {
        const client = wallet(role);
        const hash = await client.writeContract({
          address: hub,
          abi: cce4longHubAbi,
          functionName,
          args,
          value,
          account: client.account!,
          chain: anvilChain,
        } as never);
        const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: POLLING_MS });
        if (receipt.status !== "success") throw new Error(`${functionName} reverted (${hash})`);
        return { receipt, events: parseEventLogs({ abi: cce4longHubAbi, logs: receipt.logs }) };
      },
      async read(functionName, args = []) {
        return (await publicClient.readContract({
          address: hub,
          abi: cce4longHubAbi,
          functionName,
          args,
        } as never)) as never;
      },
      async revert(role, functionName, args, value) {
        try {
          await publicClient.simulateContract({
            address: hub,
            abi: cce4longHubAbi,
            functionName,
            args,
            value,
            account: localAccount(role).address,
          } as never);
        } catch (error) {
          return decodeRevert(error);
        }
        throw new Error(`expected ${functionName} to revert, but it succeeded`);
      },
      async increaseTime(seconds) {
        await testClient.increaseTime({ seconds });
        await testClient.mine({ blocks: 1 });
      },
      async mineAt(timestamp) {
        await testClient.setNextBlockTimestamp({ timestamp });
        await testClient.mine({ blocks: 1 });
      },
      async timestamp() {
        return (await publicClient.getBlock()).timestamp;
      },
      async stop() {
        await anvil.process.stop();
      },
    };
  } catch (error) {
    await anvil.process.stop();
    throw error;
  }
}

/** The custom error inside a viem contract error. */
export function decodeRevert(error: unknown): Reverted {
  if (error instanceof BaseError) {
    const reverted = error.walk((inner) => inner instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.data) {
      return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
    }
  }
  throw error;
}

/** A deterministic bytes32 from a label, for readable test data. */
export function b32(label: string): Hex {
  const hex = Buffer.from(label, "utf8").toString("hex").padEnd(64, "0");
  if (hex.length > 64) throw new Error(`label too long: ${label}`);
  return `0x${hex}`;
}

/** Default dataset terms for tests. */
export const TERMS = {
  pricePerPeriod: 1_000_000_000_000_000n,
  periodSeconds: 86_400n,
  exploreOffered: true,
  freePreview: false,
} as const;

/** The single event of `name` in `events`; fails when there is not exactly one. */
export function only<TName extends HubEvents[number]["eventName"]>(
  events: HubEvents,
  name: TName,
): Extract<HubEvents[number], { eventName: TName }> {
  const found = events.filter((event) => event.eventName === name);
  if (found.length !== 1) throw new Error(`expected one ${name} event, got ${found.length}`);
  return found[0] as Extract<HubEvents[number], { eventName: TName }>;
}
