/**
 * `npm start` (development only): brings up the whole local platform, prints its endpoints, keeps
 * it running until Ctrl-C (SIGINT) or SIGTERM, then stops every service and removes its record.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Cce4longError, isCce4longError } from "@cce4long/protocol";
import { stackLayout } from "./layout";
import { DEFAULT_PORTS, PORT_ENV, type PortName, type Ports } from "./ports";
import { readRunningStack } from "./running-stack";
import { REPO_ROOT, type StackEndpoints, startStack } from "./stack";

function portsFromEnv(env: NodeJS.ProcessEnv): Ports {
  const ports = { ...DEFAULT_PORTS } as Ports;
  for (const name of Object.keys(DEFAULT_PORTS) as PortName[]) {
    const raw = env[PORT_ENV[name]];
    if (raw === undefined || raw === "") continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Cce4longError(
        "CONFIG_INVALID",
        `${PORT_ENV[name]} must be a port number (1-65535), got "${raw}"`,
      );
    }
    ports[name] = port;
  }
  return ports;
}

export function endpointTable(endpoints: StackEndpoints): string {
  const rows: [string, string, string][] = [
    ["edge API (wrangler dev)", endpoints.edgeApi, "public HTTP API; /healthz"],
    ["Privacy Plane", endpoints.privacyPlane, "TEE service (local: Node); /healthz"],
    ["anvil (EVM chain)", endpoints.rpcUrl, `JSON-RPC, chain id ${endpoints.chainId}`],
    ["Pub/Sub emulator", `http://${endpoints.pubsubEmulatorHost}`, `project ${endpoints.pubsubProject}`],
    ["object store (S3 API)", endpoints.objectStore, "SigV4 required"],
    ["dstack guest API (dev)", endpoints.guestAgentSocket, "unix socket, INSECURE dev keys"],
    ["cce4long hub contract", endpoints.hubAddress, `addresses in ${endpoints.deploymentFile}`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`).join("\n");
}

async function main(): Promise<void> {
  const root = process.env.CCE4LONG_STATE_DIR ?? join(REPO_ROOT, ".local");
  const layout = stackLayout(root);
  const running = readRunningStack(layout.stackRecord);
  if (running) {
    throw new Cce4longError(
      "PLATFORM_ALREADY_RUNNING",
      `the local platform is already running (pid ${running.pid}, edge API ${running.endpoints.edgeApi}); stop it with Ctrl-C in its terminal or \`kill ${running.pid}\``,
    );
  }
  const ports = portsFromEnv(process.env);
  console.log("cce4long: starting the local platform (state in %s, logs in %s)", root, layout.logs);
  const stack = await startStack({
    root,
    ports,
    persistChain: true,
    onProgress: (line) => console.log(line),
  });
  console.log(`\ncce4long local platform is up in ${(stack.startMs / 1000).toFixed(1)} s:\n`);
  console.log(endpointTable(stack.endpoints));
  console.log("\nPress Ctrl-C to stop.");

  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  console.log("\ncce4long: stopping…");
  await stack.stop();
  rmSync(layout.stackRecord, { force: true });
  console.log("cce4long: stopped; no service left running.");
}

main().catch((error: unknown) => {
  const message = isCce4longError(error) ? `[${error.code}] ${error.message}` : String(error);
  console.error(`cce4long: ${message}`);
  process.exit(1);
});
