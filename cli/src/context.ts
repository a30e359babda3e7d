/**
 * Where the CLI finds the platform and who it acts as (runs on the user's machine). Endpoints come
 * from flags, then environment variables, then the record of a running local platform
 * (`.local/run/stack.json`). The wallet is a private-key file; on the local development chain only,
 * `--as ROLE` may use the well-known anvil account of that role instead.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import type { Hex, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { LOCAL_ROLE_INDEX, type LocalRole, localAccount } from "../../contracts/scripts/local-accounts";

export interface Endpoints {
  api: string;
  rpcUrl: string;
  chainId: number;
  hub: Hex;
}

export interface ContextFlags {
  api?: string;
  rpcUrl?: string;
  hub?: string;
  chainId?: string;
  walletKeyFile?: string;
  as?: string;
  stateDir?: string;
}

const DEV_CHAIN_ID = 31337;

export function resolveEndpoints(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): Endpoints {
  const record = readLocalStack(flags.stateDir ?? env.CCE4LONG_STATE_DIR ?? join(process.cwd(), ".local"));
  const api = flags.api ?? env.CCE4LONG_API ?? record?.edgeApi;
  const rpcUrl = flags.rpcUrl ?? env.CCE4LONG_RPC_URL ?? record?.rpcUrl;
  const hub = flags.hub ?? env.CCE4LONG_HUB ?? record?.hubAddress;
  const chainId = Number(flags.chainId ?? env.CCE4LONG_CHAIN_ID ?? record?.chainId);
  const missing = [
    !api && "--api",
    !rpcUrl && "--rpc-url",
    !hub && "--hub",
    !Number.isInteger(chainId) && "--chain-id",
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new Cce4longError(
      "CONFIG_INVALID",
      `no platform to talk to: pass ${missing.join(", ")} (or CCE4LONG_API, CCE4LONG_RPC_URL, CCE4LONG_HUB, CCE4LONG_CHAIN_ID), or start the local platform with \`npm start\``,
    );
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(hub!))
    throw new Cce4longError("CONFIG_INVALID", `--hub is not an address: ${hub}`);
  return { api: api!, rpcUrl: rpcUrl!, chainId, hub: hub as Hex };
}

function readLocalStack(
  stateDir: string,
): { edgeApi: string; rpcUrl: string; hubAddress: string; chainId: number } | undefined {
  const file = join(stateDir, "run", "stack.json");
  if (!existsSync(file)) return undefined;
  try {
    return (
      JSON.parse(readFileSync(file, "utf8")) as {
        endpoints: { edgeApi: string; rpcUrl: string; hubAddress: string; chainId: number };
      }
    ).endpoints;
  } catch {
    return undefined;
  }
}

/** The wallet the CLI signs with. Never printed, never sent anywhere but into signatures. */
export function resolveWallet(
  flags: ContextFlags,
  endpoints: Endpoints,
  env: NodeJS.ProcessEnv = process.env,
): LocalAccount {
  const keyFile = flags.walletKeyFile ?? env.CCE4LONG_WALLET_KEY_FILE;
  if (keyFile) {
    if (!existsSync(keyFile))
      throw new Cce4longError("CONFIG_INVALID", `wallet key file not found: ${keyFile}`);
    if ((statSync(keyFile).mode & 0o077) !== 0) {
      throw new Cce4longError(
        "CONFIG_INVALID",
        `wallet key file ${keyFile} is readable by others: chmod 600 it`,
      );
    }
    const text = readFileSync(keyFile, "utf8").trim();
    const hex = text.startsWith("0x") ? text : `0x${text}`;
    if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) {
      throw new Cce4longError(
        "CONFIG_INVALID",
        `wallet key file ${keyFile} must hold one 32-byte hex private key`,
      );
    }
    return privateKeyToAccount(hex as Hex);
  }
  if (flags.as) {
    if (!(flags.as in LOCAL_ROLE_INDEX)) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `--as must be one of ${Object.keys(LOCAL_ROLE_INDEX).join(", ")}`,
      );
    }
    if (endpoints.chainId !== DEV_CHAIN_ID) {
      throw new Cce4longError(
        "CONFIG_INVALID",
        "--as uses public development keys and works only on the local chain (31337)",
      );
    }
    return localAccount(flags.as as LocalRole);
  }
  throw new Cce4longError(
    "AUTH_REQUIRED",
    "no wallet: pass --wallet-key-file FILE (or CCE4LONG_WALLET_KEY_FILE), or --as ROLE on the local chain",
  );
}
