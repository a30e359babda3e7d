/**
 * Runs a sandbox command with a time limit and bounded log capture (boot agent; runs in the VM or
 * locally). Kills the whole process group on timeout so nothing of the job survives it.
 */
import { spawn } from "node:child_process";
import type { SandboxResult } from "./sandbox";

const TAIL_BYTES = 16 * 1024;

export function runWithLimit(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<SandboxResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], detached: true, env: {} });
    let stdout = "";
    let stderr = "";
    const keepTail = (current: string, chunk: Buffer) =>
      (current + chunk.toString("utf8")).slice(-TAIL_BYTES);
    child.stdout.on("data", (c: Buffer) => {
      stdout = keepTail(stdout, c);
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr = keepTail(stderr, c);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid ?? 0), "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        signal,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        stdoutTail: stdout,
        stderrTail: stderr,
      });
    });
  });
}
