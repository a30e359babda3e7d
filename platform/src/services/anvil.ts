/**
 * anvil, the local EVM chain (development only). The binary ships inside the npm package
 * @foundry-rs/anvil-linux-amd64. State persists in `stateFile` when given (saved on SIGTERM).
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type ManagedProcess, spawnManaged, waitUntilReady } from "../process";

const require = createRequire(import.meta.url);

/** Fixed chain id of the local chain; SIWE messages and EIP-712 domains name it. */
export const LOCAL_CHAIN_ID = 31337;

export function anvilBinary(): string {
  return join(dirname(require.resolve("@foundry-rs/anvil-linux-amd64/package.json")), "bin", "anvil");
}

export interface AnvilOptions {
  port: number;
  logFile: string;
  /** Persist chain state here across restarts (its folder is created). Omit for a throwaway chain. */
  stateFile?: string;
}

export interface RunningAnvil {
  process: ManagedProcess;
  rpcUrl: string;
  chainId: number;
}

export async function startAnvil(options: AnvilOptions): Promise<RunningAnvil> {
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--chain-id",
    String(LOCAL_CHAIN_ID),
    "--silent",
  ];
  if (options.stateFile) {
    mkdirSync(dirname(options.stateFile), { recursive: true });
    args.push("--state", options.stateFile);
  }
  const proc = spawnManaged({ name: "anvil", command: anvilBinary(), args, logFile: options.logFile });
  const rpcUrl = `http://127.0.0.1:${options.port}`;
  await waitUntilReady(proc, () => rpcReady(rpcUrl), 15_000);
  return { process: proc, rpcUrl, chainId: LOCAL_CHAIN_ID };
}

async function rpcReady(rpcUrl: string): Promise<boolean> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    signal: AbortSignal.timeout(1_000),
  });
  const body = (await response.json()) as { result?: string };
  return Number(body.result) === LOCAL_CHAIN_ID;
}
