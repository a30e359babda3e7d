/**
 * Where the local platform keeps its state (development only). Everything lives under one
 * project-local folder (`.local/` for `npm start`, a temp folder for tests), never elsewhere.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export interface StackLayout {
  root: string;
  logs: string;
  /** 0700: env files with secrets, sockets, the running-stack record. */
  run: string;
  anvilState: string;
  objectStore: string;
  wrangler: string;
  deploymentFile: string;
  guestAgentState: string;
  guestAgentSocket: string;
  stackRecord: string;
  secretsFile: string;
}

export function stackLayout(root: string): StackLayout {
  const run = join(root, "run");
  return {
    root,
    logs: join(root, "logs"),
    run,
    anvilState: join(root, "anvil", "state.json"),
    objectStore: join(root, "object-store"),
    wrangler: join(root, "wrangler"),
    deploymentFile: join(root, "deployments", "local.json"),
    guestAgentState: join(root, "guest-agent"),
    guestAgentSocket: join(run, "dstack.sock"),
    stackRecord: join(run, "stack.json"),
    secretsFile: join(root, "secrets.json"),
  };
}

export function createLayout(layout: StackLayout): void {
  for (const dir of [layout.root, layout.logs, layout.objectStore, layout.wrangler]) {
    mkdirSync(dir, { recursive: true });
  }
  mkdirSync(layout.run, { recursive: true, mode: 0o700 });
  mkdirSync(layout.guestAgentState, { recursive: true, mode: 0o700 });
}
