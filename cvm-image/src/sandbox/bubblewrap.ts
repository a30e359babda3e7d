/**
 * The local job sandbox (development stand-in for the job container inside a Confidential VM):
 * bubblewrap with every namespace unshared (so only a down loopback exists: no network at all),
 * all capabilities dropped, a non-root uid, the host's /usr read-only (Debian's python3 stack),
 * /data read-only, /output writable, everything else a fresh tmpfs.
 */
import { existsSync } from "node:fs";
import { Cce4longError } from "@cce4long/protocol";
import { runWithLimit } from "./run-process";
import type { JobSandbox, SandboxResult, SandboxRun } from "./sandbox";

const BWRAP = "/usr/bin/bwrap";
const JOB_UID = "1000";

export function bubblewrapArgs(job: SandboxRun): string[] {
  const args = [
    "--unshare-all",
    "--unshare-user",
    "--uid",
    JOB_UID,
    "--gid",
    JOB_UID,
    "--cap-drop",
    "ALL",
    "--die-with-parent",
    "--new-session",
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/lib",
    "/lib",
    "--symlink",
    "usr/lib64",
    "/lib64",
    "--symlink",
    "usr/bin",
    "/bin",
    "--symlink",
    "usr/sbin",
    "/sbin",
    "--ro-bind-try",
    "/etc/alternatives",
    "/etc/alternatives",
    "--ro-bind-try",
    "/etc/ssl",
    "/etc/ssl",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--tmpfs",
    "/home",
    "--ro-bind",
    job.dataDir,
    "/data",
    "--bind",
    job.outputDir,
    "/output",
  ];
  if (job.jobDir) args.push("--ro-bind", job.jobDir, "/job");
  args.push("--chdir", job.jobDir ? "/job" : "/tmp", "--clearenv");
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/home",
    LANG: "C.UTF-8",
    DATA_DIR: "/data",
    OUTPUT_DIR: "/output",
    ...job.env,
  };
  for (const [key, value] of Object.entries(env)) args.push("--setenv", key, value);
  args.push("--", ...job.command);
  return args;
}

export class BubblewrapSandbox implements JobSandbox {
  readonly kind = "bubblewrap" as const;

  constructor() {
    if (!existsSync(BWRAP)) {
      throw new Cce4longError("UNAVAILABLE", "bubblewrap is not installed (Debian package bubblewrap)");
    }
  }

  run(job: SandboxRun): Promise<SandboxResult> {
    if (job.command.length === 0) throw new Cce4longError("VALIDATION_FAILED", "the job command is empty");
    return runWithLimit(BWRAP, bubblewrapArgs(job), job.timeoutMs);
  }
}
