/**
 * The production job sandbox inside the Confidential VM: the consumer's container image, pulled
 * and run by digest only, with networking off (egress is also denied by the VM's nftables rules),
 * a read-only root, no capabilities, no new privileges, non-root, /data read-only.
 */
import { Cce4longError } from "@cce4long/protocol";
import { runWithLimit } from "./run-process";
import type { JobSandbox, SandboxResult, SandboxRun } from "./sandbox";

const IMAGE_DIGEST = /^[a-z0-9][a-z0-9./_-]*@sha256:[0-9a-f]{64}$/;

export function podmanArgs(job: SandboxRun): string[] {
  if (!job.imageDigest || !IMAGE_DIGEST.test(job.imageDigest)) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      "the job image must be named by digest (name@sha256:<64 hex>)",
    );
  }
  const args = [
    "run",
    "--rm",
    "--pull=never",
    "--network=none",
    "--read-only",
    "--cap-drop=ALL",
    "--security-opt=no-new-privileges",
    "--user=1000:1000",
    "--tmpfs=/tmp:rw,nosuid,nodev,size=1g",
    `--volume=${job.dataDir}:/data:ro`,
    `--volume=${job.outputDir}:/output:rw`,
    "--env=DATA_DIR=/data",
    "--env=OUTPUT_DIR=/output",
  ];
  for (const [key, value] of Object.entries(job.env ?? {})) args.push(`--env=${key}=${value}`);
  args.push(job.imageDigest, ...job.command);
  return args;
}

export class PodmanSandbox implements JobSandbox {
  readonly kind = "podman" as const;

  constructor(private readonly podman = "/usr/bin/podman") {}

  run(job: SandboxRun): Promise<SandboxResult> {
    return runWithLimit(this.podman, podmanArgs(job), job.timeoutMs);
  }
}
