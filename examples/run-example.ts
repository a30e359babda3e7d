/**
 * Test helper (runs on the developer's machine and in CI): runs an example's main.py with Debian's
 * /usr/bin/python3 outside any sandbox, pointing CCE4LONG_DATA_DIR and CCE4LONG_OUTPUT_DIR at temp folders.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PYTHON = "/usr/bin/python3";

export async function runExample(
  name: string,
  dirs: { data?: string; output: string },
  options: { prefix?: string[]; env?: Record<string, string> } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const script = join(import.meta.dirname, name, "main.py");
  const [command, ...args] = [...(options.prefix ?? []), PYTHON, script];
  try {
    const { stdout, stderr } = await run(command!, args, {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        CCE4LONG_OUTPUT_DIR: dirs.output,
        ...(dirs.data === undefined ? {} : { CCE4LONG_DATA_DIR: dirs.data }),
        ...options.env,
      },
      timeout: 120_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    if (typeof e.code !== "number") throw error;
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code };
  }
}

/** Parses a simple CSV (no quoted separators) into header and rows. */
export function parseCsv(text: string, separator = ","): { header: string[]; rows: string[][] } {
  const lines = text.trimEnd().split("\n");
  return { header: lines[0]!.split(separator), rows: lines.slice(1).map((l) => l.split(separator)) };
}
