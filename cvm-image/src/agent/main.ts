/**
 * The boot agent's process entry (runs once per job VM as the systemd unit cce4long-boot-agent; locally
 * the local launcher runs this same file). main() -> run(): read config once, do the job, exit. Exit 0
 * when outputs were delivered, 1 otherwise; either way the unit then powers the VM off.
 * SIGTERM (the launcher destroying the VM) unmounts and wipes before exiting.
 */
import { isCce4longError } from "@cce4long/protocol";
import { loadAgentConfig } from "./config";
import { agentLog } from "./log";
import { runAgent } from "./run";

async function run(): Promise<number> {
  const config = await loadAgentConfig(process.env);
  const cleanups: (() => Promise<void>)[] = [];
  const onSignal = (signal: string) => {
    agentLog("agent.stopping", { signal });
    void Promise.allSettled(cleanups.map((cleanup) => cleanup())).finally(() => process.exit(1));
    setTimeout(() => process.exit(1), 4_000).unref();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  const outcome = await runAgent(config, { log: agentLog, onCleanup: (cleanup) => cleanups.push(cleanup) });
  agentLog("agent.finished", { outcome });
  return outcome === "outputs-delivered" ? 0 : 1;
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    agentLog("agent.failed", {
      code: isCce4longError(error) ? error.code : "INTERNAL",
      error: error instanceof Error ? error.message : String(error),
    });
    process.exit(1);
  },
);
