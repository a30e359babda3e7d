/**
 * The file-backed ReviewStore (runs inside the TEE): one JSON file per job under
 * `<stateDir>/reviews/`, replaced atomically (write a temp file, fsync, rename), and one empty file
 * per used nonce under `<stateDir>/review-nonces/`, created exclusively so a replay fails even across
 * restarts. One process owns the folder; compare-and-set is serialized in-process per job.
 * In production `stateDir` is on dstack's encrypted disk (see review-store.ts).
 */
import { mkdir, open, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { replaceFile } from "../state/replace-file";
import type { ReviewRecord } from "./record";
import type { ReviewStore } from "./review-store";

const JOB_ID = /^0x[0-9a-f]{64}$/;
const NONCE = /^[0-9]{1,78}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;

export class FileReviewStore implements ReviewStore {
  readonly #records: string;
  readonly #nonces: string;
  #ready: Promise<void> | undefined;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(stateDir: string) {
    this.#records = join(stateDir, "reviews");
    this.#nonces = join(stateDir, "review-nonces");
  }

  async get(jobId: string): Promise<ReviewRecord | undefined> {
    await this.#init();
    return this.#read(fileName(jobId));
  }

  async list(): Promise<ReviewRecord[]> {
    await this.#init();
    const names = (await readdir(this.#records)).filter((n) => n.endsWith(".json"));
    const records = await Promise.all(names.map((n) => this.#read(n.slice(0, -".json".length))));
    return records.filter((r): r is ReviewRecord => r !== undefined);
  }

  compareAndSet(jobId: string, expectedRevision: number, next: ReviewRecord): Promise<boolean> {
    const run = this.#lock.then(async () => {
      await this.#init();
      const name = fileName(jobId);
      if (((await this.#read(name))?.revision ?? 0) !== expectedRevision) return false;
      await replaceFile(join(this.#records, `${name}.json`), `${JSON.stringify(next)}\n`);
      return true;
    });
    this.#lock = run.catch(() => {});
    return run;
  }

  async useNonce(reviewer: string, nonce: string): Promise<boolean> {
    await this.#init();
    const who = reviewer.toLowerCase();
    if (!ADDRESS.test(who) || !NONCE.test(nonce)) {
      throw new Cce4longError("VALIDATION_FAILED", "Reviewer or nonce malformed");
    }
    try {
      const handle = await open(join(this.#nonces, `${who}-${nonce}`), "wx", 0o600);
      await handle.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  }

  #init(): Promise<void> {
    this.#ready ??= Promise.all([
      mkdir(this.#records, { recursive: true, mode: 0o700 }),
      mkdir(this.#nonces, { recursive: true, mode: 0o700 }),
    ]).then(() => undefined);
    return this.#ready;
  }

  async #read(name: string): Promise<ReviewRecord | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.#records, `${name}.json`), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return JSON.parse(text) as ReviewRecord;
  }
}

function fileName(jobId: string): string {
  const id = jobId.toLowerCase();
  // The id becomes a file name: only the exact bytes32 shape, so no path can be smuggled in.
  if (!JOB_ID.test(id)) throw new Cce4longError("VALIDATION_FAILED", "Job id malformed");
  return id;
}
