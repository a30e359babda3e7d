/**
 * The dispatcher's journal (runs inside the TEE): what the job tracker must not forget in a restart,
 * one JSON file per launched job under `<stateDir>/dispatch-jobs/`, mode 0600, replaced atomically
 * (temp file, fsync, rename). Without it a restart left a dispatched job waiting forever on-chain, its
 * VM never torn down by us, and a key-released job's outputs refused (the token hash was in memory).
 * It holds no secret: the instance name, the deadline, the credential's public claims and the hash of
 * the outputs token. A file that does not parse is moved aside (`.corrupt`) and logged, never deleted.
 */
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { type JobCredentialClaims, JobCredentialClaimsSchema } from "../credentials/job-credential";
import { replaceFile } from "../state/replace-file";

const Bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/);

export const TrackedSnapshotSchema = z.strictObject({
  jobId: Bytes32,
  phase: z.enum(["dispatched", "key-released"]),
  instanceRef: z.string().min(1).max(1024).optional(),
  /** The spec's run-time limit, for the outputs deadline armed at key release. */
  timeoutSeconds: z.number().int().positive().optional(),
  /** Unix milliseconds: when the job fails unless the VM has moved on. */
  deadlineAt: z.number().int().nonnegative(),
  waitingFor: z.enum(["key release", "outputs"]),
  outputsTokenHash: Bytes32.optional(),
  measurementId: Bytes32.optional(),
  claims: JobCredentialClaimsSchema.optional(),
});
export type TrackedSnapshot = Omit<z.infer<typeof TrackedSnapshotSchema>, "claims"> & {
  claims?: JobCredentialClaims;
};

export interface TrackerJournal {
  save(snapshot: TrackedSnapshot): Promise<void>;
  remove(jobId: string): Promise<void>;
  /** Every saved snapshot; unreadable ones are set aside and reported through `onCorrupt`. */
  load(onCorrupt: (file: string, why: string) => void): Promise<TrackedSnapshot[]>;
}

const JOB_FILE = /^0x[0-9a-f]{64}\.json$/;

export class FileTrackerJournal implements TrackerJournal {
  readonly #dir: string;
  #ready: Promise<unknown> | undefined;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, "dispatch-jobs");
  }

  async save(snapshot: TrackedSnapshot): Promise<void> {
    const checked = TrackedSnapshotSchema.parse(snapshot);
    await this.#init();
    await replaceFile(join(this.#dir, `${checked.jobId}.json`), `${JSON.stringify(checked)}\n`);
  }

  async remove(jobId: string): Promise<void> {
    const id = Bytes32.parse(jobId.toLowerCase());
    await rm(join(this.#dir, `${id}.json`), { force: true });
  }

  async load(onCorrupt: (file: string, why: string) => void): Promise<TrackedSnapshot[]> {
    await this.#init();
    const snapshots: TrackedSnapshot[] = [];
    for (const name of (await readdir(this.#dir)).filter((n) => JOB_FILE.test(n)).sort()) {
      const file = join(this.#dir, name);
      // A read error (EIO, EACCES) is thrown, not taken for damage: the entry must not be lost to it.
      const text = await readFile(file, "utf8");
      let why: string;
      try {
        const parsed = TrackedSnapshotSchema.safeParse(JSON.parse(text));
        if (parsed.success && `${parsed.data.jobId}.json` === name) {
          snapshots.push(parsed.data as TrackedSnapshot);
          continue;
        }
        why = parsed.success ? "names another job" : "does not match the schema";
      } catch {
        why = "is not JSON";
      }
      await rename(file, `${file}.corrupt`);
      onCorrupt(name, why);
    }
    return snapshots;
  }

  #init(): Promise<unknown> {
    this.#ready ??= mkdir(this.#dir, { recursive: true, mode: 0o700 });
    return this.#ready;
  }
}
