/**
 * A project TypeScript entry point run as its own Node process (development only): the object
 * store, the development guest agent, the Privacy Plane. Same Node 22 as the orchestrator, with
 * tsx loading the sources, and no wrapper process between the signal and the service.
 */
import { type ManagedProcess, spawnManaged, waitUntilReady } from "../process";

export interface NodeServiceOptions {
  name: string;
  /** Absolute path of the .ts entry. */
  entry: string;
  args?: readonly string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  cwd: string;
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

export async function startNodeService(options: NodeServiceOptions): Promise<ManagedProcess> {
  const proc = spawnManaged({
    name: options.name,
    command: process.execPath,
    args: ["--import", "tsx", options.entry, ...(options.args ?? [])],
    env: options.env,
    logFile: options.logFile,
    cwd: options.cwd,
  });
  try {
    await waitUntilReady(proc, options.ready, options.readyTimeoutMs ?? 20_000);
  } catch (error) {
    await proc.stop(1_000);
    throw error;
  }
  return proc;
}
