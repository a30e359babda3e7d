/**
 * The job sandbox interface of the boot agent (runs in the Confidential VM; locally on the
 * developer's machine). A job sees its plaintext data read-only at /data, writes to /output, and
 * has no network. Two implementations: a container by image digest inside the VM (podman), and
 * bubblewrap on a developer machine.
 */
export interface SandboxRun {
  /** The job's command, run inside the sandbox (argv, no shell). */
  command: readonly string[];
  /** Host folder shown read-only at /data (the decrypting FUSE mount). */
  dataDir: string;
  /** Host folder shown writable at /output; collected after the run. */
  outputDir: string;
  /** Host folder with the job's own code, shown read-only at /job. */
  jobDir?: string;
  /** Environment of the job: nothing from the agent's environment leaks in. */
  env?: Record<string, string>;
  timeoutMs: number;
  /** The container image by digest (production); ignored by the local sandbox. */
  imageDigest?: string;
}

export interface SandboxResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The last lines the job printed (its logs are the consumer's, but may still hold data: they go through the gate). */
  stdoutTail: string;
  stderrTail: string;
}

export interface JobSandbox {
  readonly kind: "bubblewrap" | "podman";
  run(job: SandboxRun): Promise<SandboxResult>;
}
