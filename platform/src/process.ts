/**
 * Child processes of the local platform (development only): spawn with the output going to a log
 * file, wait until ready, stop by process group (SIGTERM, then SIGKILL) so nothing is orphaned.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Cce4longError } from "@cce4long/protocol";

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function spawnManaged(options: SpawnOptions): ManagedProcess {
  const fd = openSync(options.logFile, "a");
  let child: ChildProcess;
  try {
    // detached: the child leads its own process group, so stop() reaches its children too
    // (wrangler -> workerd, the emulator's shell -> java).
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? "unknown");
    });
    child.once("error", (error) => {
      ended = true;
      resolve(error.message);
    });
  });
  const pid = child.pid ?? -1;
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    hasExited: () => ended,
    async stop(graceMs = 5_000) {
      if (ended || pid < 0) return;
      signalGroup(pid, "SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        signalGroup(pid, "SIGKILL");
        await exited;
      }
      // The leader may exit before its children: make sure the whole group is gone.
      signalGroup(pid, "SIGKILL");
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** The last lines of a log file, for error messages about a failed start. */
export function tailOf(file: string, lines = 20): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Polls `probe` until it returns true. Fails with PLATFORM_SERVICE_FAILED naming the service and
 * showing the tail of its log if the process dies or the deadline passes.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      throw serviceFailed(proc, `exited during start-up (${await proc.exited})`);
    }
    // A probe may throw synchronously (e.g. a client that checks its socket exists): treat as not ready.
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    await sleep(50);
  }
  throw serviceFailed(proc, `not ready after ${timeoutMs} ms`);
}

export function serviceFailed(proc: Pick<ManagedProcess, "name" | "logFile">, why: string): Cce4longError {
  return new Cce4longError(
    "PLATFORM_SERVICE_FAILED",
    `${proc.name} ${why}; log ${proc.logFile}, last lines:\n${tailOf(proc.logFile)}`,
  );
}

/** A probe that is true when an HTTP GET answers with `expectStatus`. */
export function httpProbe(url: string, expectStatus = 200): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.status === expectStatus;
  };
}
