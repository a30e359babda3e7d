/**
 * The edge API under `wrangler dev` (development only; production is Cloudflare Workers).
 * workerd serves functions/ on 127.0.0.1; configuration and secrets reach it through a 0600 env
 * file, never on the command line where `ps` would show them.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { httpProbe, type ManagedProcess, spawnManaged, waitUntilReady } from "../process";

const require = createRequire(import.meta.url);

export interface EdgeApiOptions {
  port: number;
  inspectorPort: number;
  logFile: string;
  /** Written with mode 0600; holds the Worker's vars and secrets for this run. */
  envFile: string;
  persistDir: string;
  vars: Record<string, string>;
  repoRoot: string;
  /** Relative to repoRoot; the edge API's own by default (the bench also runs a bare Worker). */
  configPath?: string;
  /** The path whose 200 means ready. */
  readyPath?: string;
}

export interface RunningEdgeApi {
  process: ManagedProcess;
  url: string;
}

/** Environment that keeps wrangler off the internet (it would otherwise call out at every start). */
export const WRANGLER_OFFLINE_ENV = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CI: "true",
} as const;

export async function startEdgeApi(options: EdgeApiOptions): Promise<RunningEdgeApi> {
  const lines = Object.entries(options.vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  writeFileSync(options.envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  const proc = spawnManaged({
    name: "edge-api (wrangler dev)",
    command: process.execPath,
    args: [
      wrangler,
      "dev",
      "--config",
      options.configPath ?? "wrangler.toml",
      "--ip",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--inspector-port",
      String(options.inspectorPort),
      "--inspector-ip",
      "127.0.0.1",
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
      "--persist-to",
      options.persistDir,
      "--env-file",
      options.envFile,
    ],
    cwd: options.repoRoot,
    logFile: options.logFile,
    env: { ...process.env, ...WRANGLER_OFFLINE_ENV },
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitUntilReady(proc, httpProbe(`${url}${options.readyPath ?? "/healthz"}`), 60_000);
  return { process: proc, url };
}
