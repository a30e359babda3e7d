/**
 * The local ComputeLauncher (development only; runs in the local Privacy Plane): each job's "VM" is the
 * boot agent (cvm-image/src/agent/main.ts, the entry the VM's systemd unit runs) as a child process on
 * this machine, given what GCE instance metadata would give it (credential, Privacy Plane URL, job ids)
 * plus where the local stand-ins live (directory images, dev guest agent). The agent reads the dataset
 * from the local object store with the URLs key release hands it, exactly as in the VM.
 * destroy() kills its process group, lazily unmounts anything left under its job folder, and removes it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Cce4longError } from "@cce4long/protocol";
import type {
  ComputeLauncher,
  DestroyResult,
  InstanceRef,
  InstanceStatus,
  LaunchJob,
  LaunchResult,
} from "./launcher";
import { parseLaunchJob } from "./launcher";

const execFileAsync = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..", "..");
export const BOOT_AGENT_ENTRY = join(REPO_ROOT, "cvm-image", "src", "agent", "main.ts");

export interface LocalLauncherOptions {
  /** Must be "development": a local "VM" has no TEE at all. */
  deployment: string;
  /** The URL the boot agent calls (key release, outputs). */
  privacyPlaneUrl: string;
  /** The dev guest agent's socket: the boot agent's (insecure) attester. */
  guestAgentEndpoint: string;
  /** Root of the local compute folders: jobs/<jobId>/ (work), images/. */
  computeDir: string;
  /** Parent folders holding directory images (one sub-folder per image). */
  imageDirs: readonly string[];
  /** Extra environment for the agent (tests: nothing secret). */
  env?: Record<string, string>;
  log?(event: string, fields: Record<string, unknown>): void;
}

interface Running {
  child: ChildProcess;
  workDir: string;
  launchedAt: Date;
  exited: Promise<void>;
  deadline: NodeJS.Timeout;
}

const REF_PREFIX = "local:";

export class LocalComputeLauncher implements ComputeLauncher {
  readonly kind = "local" as const;
  readonly #options: LocalLauncherOptions;
  readonly #running = new Map<string, Running>();
  readonly #launched = new Set<string>();

  constructor(options: LocalLauncherOptions) {
    if (options.deployment !== "development") {
      throw new Cce4longError(
        "INSECURE_DEV_REFUSED",
        "The local compute launcher runs jobs without a TEE; it is refused outside development",
        {
          detail: { deployment: options.deployment },
        },
      );
    }
    this.#options = options;
  }

  refForJob(jobId: string): InstanceRef {
    return `${REF_PREFIX}${jobId}`;
  }

  async launch(input: LaunchJob): Promise<LaunchResult> {
    const job = parseLaunchJob(input);
    if (this.#launched.has(job.jobId)) {
      throw new Cce4longError("COMPUTE_ALREADY_LAUNCHED", "A VM for this job already exists", {
        detail: { jobId: job.jobId },
      });
    }
    this.#launched.add(job.jobId);
    const workDir = join(this.#options.computeDir, "jobs", job.jobId);
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    const logFile = createWriteStream(join(workDir, "..", `${job.jobId}.agent.log`), {
      flags: "a",
      mode: 0o600,
    });
    const child = spawn(process.execPath, ["--import", "tsx", BOOT_AGENT_ENTRY], {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        CCE4LONG_DEPLOYMENT: "development",
        CCE4LONG_AGENT_CONFIG_SOURCE: "env",
        CCE4LONG_JOB_CREDENTIAL: job.credential,
        CCE4LONG_PRIVACY_PLANE_URL: this.#options.privacyPlaneUrl,
        CCE4LONG_JOB_ID: job.jobId,
        CCE4LONG_DATASET_ID: job.datasetId,
        CCE4LONG_IMAGE_DIGEST: job.imageDigest,
        CCE4LONG_WORK_DIR: workDir,
        CCE4LONG_IMAGE_DIRS: this.#options.imageDirs.join(","),
        DSTACK_ENDPOINT: this.#options.guestAgentEndpoint,
        ...this.#options.env,
      },
    });
    child.stdout?.pipe(logFile, { end: false });
    child.stderr?.pipe(logFile, { end: false });
    const exited = new Promise<void>((done) => {
      child.once("exit", (code, signal) => {
        this.#options.log?.("local-vm.exited", { jobId: job.jobId, code, signal });
        logFile.end();
        done();
      });
    });
    child.once("error", (error) =>
      this.#options.log?.("local-vm.spawn-failed", { jobId: job.jobId, error: error.message }),
    );
    // The provider-side hard deadline: the VM goes away even if the dispatcher forgets it.
    const deadline = setTimeout(() => void this.destroy(this.refForJob(job.jobId)), job.maxRunSeconds * 1000);
    deadline.unref();
    const launchedAt = new Date();
    this.#running.set(job.jobId, { child, workDir, launchedAt, exited, deadline });
    this.#options.log?.("local-vm.launched", { jobId: job.jobId, pid: child.pid });
    return { instanceRef: this.refForJob(job.jobId), launchedAt };
  }

  async status(ref: InstanceRef): Promise<InstanceStatus> {
    const running = this.#running.get(jobIdOf(ref));
    if (!running || running.child.exitCode !== null || running.child.signalCode !== null)
      return { state: "gone" };
    return { state: "running", launchedAt: running.launchedAt, providerStatus: `pid ${running.child.pid}` };
  }

  async destroy(ref: InstanceRef): Promise<DestroyResult> {
    const jobId = jobIdOf(ref);
    const running = this.#running.get(jobId);
    if (!running) return { alreadyGone: true };
    this.#running.delete(jobId);
    clearTimeout(running.deadline);
    let alive = running.child.exitCode === null && running.child.signalCode === null;
    // A VM that reported is already shutting itself down (unmount, wipe): give it a moment to finish.
    if (alive)
      alive = !(await Promise.race([running.exited.then(() => true), sleep(3_000).then(() => false)]));
    if (alive) {
      // The agent unmounts and wipes on SIGTERM; what it leaves after 5 s is killed and cleaned here.
      signalGroup(running.child, "SIGTERM");
      const stopped = await Promise.race([running.exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) {
        signalGroup(running.child, "SIGKILL");
        await running.exited;
      }
    }
    await unmountUnder(running.workDir);
    await rm(running.workDir, { recursive: true, force: true }).catch(() => {});
    return { alreadyGone: !alive };
  }

  /** Destroys every local VM (service shutdown, tests). */
  async destroyAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((jobId) => this.destroy(this.refForJob(jobId))));
  }
}

function jobIdOf(ref: InstanceRef): string {
  if (!ref.startsWith(REF_PREFIX)) throw new Cce4longError("VALIDATION_FAILED", "Not a local instance ref");
  return ref.slice(REF_PREFIX.length);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Lazily unmounts every mount below `dir` (deepest first), as a killed agent may leave its FUSE behind. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/self/mounts", "utf8").catch(() => ""))
    .split("\n")
    .map((line) => line.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((point): point is string => !!point && (point === dir || point.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    const tool = existsSync("/usr/bin/fusermount3") ? "fusermount3" : "fusermount";
    await execFileAsync(tool, ["-u", "-z", point]).catch(() =>
      execFileAsync("umount", ["-l", point]).catch(() => {}),
    );
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
