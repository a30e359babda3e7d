/**
 * INSECURE development guest agent, command line (runs on a developer machine only):
 *   npx tsx enclave-runtime/src/insecure/dev-guest-agent/main.ts --socket PATH --state-dir DIR [--app-compose-file F]
 * Runs until SIGTERM or SIGINT, then removes its socket. Exits 1 with a clear message if it cannot start.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isCce4longError } from "@cce4long/protocol";
import { startDevGuestAgent } from "./index";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      socket: { type: "string" },
      "state-dir": { type: "string" },
      "app-compose-file": { type: "string" },
    },
    strict: true,
  });
  if (!values.socket || !values["state-dir"]) {
    throw new Error("usage: main.ts --socket PATH --state-dir DIR [--app-compose-file FILE]");
  }
  const appCompose = values["app-compose-file"]
    ? readFileSync(values["app-compose-file"], "utf8")
    : undefined;
  const agent = await startDevGuestAgent({
    socketPath: values.socket,
    stateDir: values["state-dir"],
    appCompose,
  });
  console.error(
    `[dev-guest-agent] INSECURE development dstack guest agent listening on ${agent.socketPath} (keys from a local root file; quotes prove nothing)`,
  );
  const stop = (signal: string) => {
    console.error(`[dev-guest-agent] ${signal}: stopping`);
    agent.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  const message = isCce4longError(error)
    ? `${error.code}: ${error.message}`
    : String((error as Error)?.message ?? error);
  console.error(`[dev-guest-agent] cannot start: ${message}`);
  process.exit(1);
});
