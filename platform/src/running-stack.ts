/**
 * The record of a running local platform, `.local/run/stack.json` (development only): lets the
 * demo and the CLI find the endpoints, and stops a second `npm start` with a clear message.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { z } from "zod";

const StackRecord = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  endpoints: z.object({
    rpcUrl: z.string(),
    chainId: z.number(),
    pubsubEmulatorHost: z.string(),
    pubsubProject: z.string(),
    objectStore: z.string(),
    edgeApi: z.string(),
    privacyPlane: z.string(),
    guestAgentSocket: z.string(),
    deploymentFile: z.string(),
    hubAddress: z.string(),
  }),
});

export type StackRecord = z.infer<typeof StackRecord>;

/** The record of a stack whose orchestrator is still alive; a stale record is removed. */
export function readRunningStack(file: string): StackRecord | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = StackRecord.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (parsed.success && isAlive(parsed.data.pid)) return parsed.data;
  rmSync(file, { force: true });
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
