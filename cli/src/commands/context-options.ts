/**
 * The options every networked CLI command shares (runs on the user's machine): where the platform
 * is and which wallet signs. Declared once on the root program; read with `contextFlags(cmd)`.
 */
import type { Command } from "commander";
import type { ContextFlags } from "../context";

export function addContextOptions(program: Command): Command {
  return program
    .option("--api <url>", "edge API base URL (env CCE4LONG_API; default: the running local platform)")
    .option("--rpc-url <url>", "EVM JSON-RPC URL (env CCE4LONG_RPC_URL)")
    .option("--hub <address>", "cce4long hub contract address (env CCE4LONG_HUB)")
    .option("--chain-id <id>", "chain id (env CCE4LONG_CHAIN_ID)")
    .option(
      "--wallet-key-file <file>",
      "file holding your wallet's private key, mode 0600 (env CCE4LONG_WALLET_KEY_FILE)",
    )
    .option(
      "--as <role>",
      "local chain only: act as the development account of a role (provider, consumer, reviewer, ...)",
    )
    .option("--state-dir <dir>", "where the local platform keeps its state (default ./.local)");
}

export function contextFlags(command: Command): ContextFlags {
  return command.optsWithGlobals() as ContextFlags;
}
