/**
 * Runs the `cce4long` CLI as its own process against the test stack (integration tests only), with
 * the stack's endpoints as flags and no local-platform discovery, so it talks to exactly this stack.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { ProvidedContext } from "vitest";
import { REPO_ROOT } from "../../platform/src/stack";

const execFileAsync = promisify(execFile);

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliProcess(stack: ProvidedContext["stack"], ...args: string[]): Promise<CliRun> {
  const flags = [
    "--api",
    stack.edgeApi,
    "--rpc-url",
    stack.rpcUrl,
    "--hub",
    stack.hubAddress,
    "--chain-id",
    String(stack.chainId),
  ];
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ["--import", "tsx", "cli/src/main.ts", ...flags, ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, CCE4LONG_STATE_DIR: "/nonexistent" },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
