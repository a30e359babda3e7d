/**
 * The job tracker across a Privacy Plane restart (runs in Node under vitest, real files in a temporary
 * folder): a launched job's deadline runs on from where it was and then fails the job and tears its VM
 * down; a key-released job keeps its outputs token hash and credential claims, so its outputs are still
 * accepted; a finished job is forgotten; a damaged journal entry is set aside, not trusted or lost.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobFailureReason } from "@cce4long/protocol";
import { type Hex, keccak256, stringToBytes } from "viem";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobCredentialClaims } from "../credentials/job-credential";
import { JobTracker } from "./job-tracker";
import { FileTrackerJournal, type TrackerJournal } from "./tracker-journal";

const JOB = keccak256(stringToBytes("journal-job-1"));
const OTHER = keccak256(stringToBytes("journal-job-2"));
const claims: JobCredentialClaims = {
  jobId: JOB,
  datasetId: keccak256(stringToBytes("dataset")),
  datasetVersion: 1,
  manifestRoot: keccak256(stringToBytes("root")),
  imageDigest: keccak256(stringToBytes("image")),
  specCommitment: keccak256(stringToBytes("spec")),
  nonce: keccak256(stringToBytes("nonce")),
  issuedAt: "1800000000",
  expiresAt: "1800000600",
};
const spec = { resources: { timeoutSeconds: 60 } } as never;

let stateDir: string;
let clock: { now: number };

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "cce4long-tracker-journal-"));
  clock = { now: 1_800_000_000_000 };
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** One Privacy Plane process's tracker over the state folder, with what it did recorded. */
function process_(journal: TrackerJournal = new FileTrackerJournal(stateDir)) {
  const failed: { jobId: Hex; reason: JobFailureReason }[] = [];
  const destroyed: string[] = [];
  const logs: { event: string; fields: Record<string, unknown> }[] = [];
  const tracker = new JobTracker({
    chain: {
      recordFailed: async (jobId: Hex, reason: JobFailureReason) => {
        failed.push({ jobId, reason });
        return `0x${"00".repeat(32)}` as Hex;
      },
    },
    launcher: {
      destroy: async (ref: string) => {
        destroyed.push(ref);
        return { alreadyGone: false };
      },
    },
    log: (event, fields) => logs.push({ event, fields }),
    keyReleaseTimeoutMs: 200,
    jobGraceMs: 0,
    journal,
    now: () => clock.now,
  });
  return { tracker, failed, destroyed, logs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("launched jobs survive a restart", () => {
  it("a dispatched job's deadline runs on from where it was, then the job fails and its VM goes", async () => {
    const first = process_();
    first.tracker.claim(JOB);
    first.tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    await first.tracker.settled();
    first.tracker.stop(); // the process dies; its timers with it

    clock.now += 150; // 50 ms of the 200 ms key-release window are left
    const second = process_();
    expect(await second.tracker.restore()).toBe(1);
    expect(second.tracker.get(JOB)).toMatchObject({ phase: "dispatched", instanceRef: "gce:cce4long-job-1" });
    expect(second.failed).toEqual([]);
    await sleep(120);
    expect(second.failed).toEqual([{ jobId: JOB, reason: JobFailureReason.Timeout }]);
    expect(second.destroyed).toEqual(["gce:cce4long-job-1"]);
    await second.tracker.settled();
    expect(await readdir(join(stateDir, "dispatch-jobs"))).toEqual([]);
  });

  it("a job past its deadline when the new process starts fails at once", async () => {
    const first = process_();
    first.tracker.claim(JOB);
    first.tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    await first.tracker.settled();
    first.tracker.stop();
    clock.now += 10 * 60_000;
    const second = process_();
    await second.tracker.restore();
    await sleep(20);
    expect(second.failed).toEqual([{ jobId: JOB, reason: JobFailureReason.Timeout }]);
    expect(second.destroyed).toEqual(["gce:cce4long-job-1"]);
  });

  it("a key-released job keeps its outputs token hash and claims (its outputs are still accepted)", async () => {
    const first = process_();
    first.tracker.claim(JOB);
    first.tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    const outputsTokenHash = keccak256(stringToBytes("token"));
    const measurementId = keccak256(stringToBytes("measurement"));
    first.tracker.keyReleased(JOB, { outputsTokenHash, measurementId, claims });
    await first.tracker.settled();
    first.tracker.stop();

    const second = process_();
    await second.tracker.restore();
    expect(second.tracker.get(JOB)).toMatchObject({
      phase: "key-released",
      outputsTokenHash,
      measurementId,
      claims,
      instanceRef: "gce:cce4long-job-1",
      waitingFor: "outputs",
    });
    second.tracker.stop();
  });

  it("a restored job keeps its spec's time limit for the outputs deadline armed at key release", async () => {
    const first = process_();
    first.tracker.claim(JOB);
    first.tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    await first.tracker.settled();
    first.tracker.stop();
    const second = process_();
    await second.tracker.restore();
    second.tracker.keyReleased(JOB, {
      outputsTokenHash: keccak256(stringToBytes("token")),
      measurementId: keccak256(stringToBytes("measurement")),
      claims,
    });
    // spec.resources.timeoutSeconds is 60 (not the 3600 s fallback), the grace 0.
    expect(second.tracker.get(JOB)?.deadlineAt).toBe(clock.now + 60_000);
    second.tracker.stop();
  });

  it("restoring writes nothing: the entries on disk already say it", async () => {
    const saved: string[] = [];
    const file = new FileTrackerJournal(stateDir);
    const recording: TrackerJournal = {
      save: async (snapshot) => {
        saved.push(snapshot.jobId);
        await file.save(snapshot);
      },
      remove: (jobId) => file.remove(jobId),
      load: (onCorrupt) => file.load(onCorrupt),
    };
    const first = process_(recording);
    first.tracker.claim(JOB);
    first.tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    await first.tracker.settled();
    first.tracker.stop();
    expect(saved).toEqual([JOB]);
    const second = process_(recording);
    await second.tracker.restore();
    await second.tracker.settled();
    expect(saved).toEqual([JOB]);
    second.tracker.stop();
  });

  it("a finished job is forgotten: nothing to restore", async () => {
    const first = process_();
    first.tracker.claim(JOB);
    first.tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    await first.tracker.finish(JOB);
    await first.tracker.settled();
    expect(await process_().tracker.restore()).toBe(0);
  });
});

describe("error: a damaged journal", () => {
  it("an entry that does not parse, or names another job, is set aside and logged; the rest restored", async () => {
    const first = process_();
    first.tracker.claim(JOB);
    first.tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    await first.tracker.settled();
    first.tracker.stop();
    const dir = join(stateDir, "dispatch-jobs");
    const good = await readFile(join(dir, `${JOB}.json`), "utf8");
    await writeFile(join(dir, `${OTHER}.json`), good); // JOB's entry under OTHER's name
    const third = keccak256(stringToBytes("journal-job-3"));
    await writeFile(join(dir, `${third}.json`), "{ not json");

    const second = process_();
    expect(await second.tracker.restore()).toBe(1);
    expect(second.tracker.get(JOB)?.phase).toBe("dispatched");
    expect(second.tracker.get(OTHER)).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual(
      [`${JOB}.json`, `${OTHER}.json.corrupt`, `${third}.json.corrupt`].sort(),
    );
    expect(second.logs.filter((l) => l.event === "job.journal-corrupt").map((l) => l.fields.why)).toEqual(
      expect.arrayContaining(["names another job", "is not JSON"]),
    );
    second.tracker.stop();
  });

  it("a journal that cannot be written is logged; the job goes on in this process", async () => {
    const broken: TrackerJournal = {
      save: () => Promise.reject(new Error("disk full")),
      remove: () => Promise.reject(new Error("disk full")),
      load: async () => [],
    };
    const { tracker, logs } = process_(broken);
    tracker.claim(JOB);
    tracker.dispatched(JOB, { instanceRef: "gce:cce4long-job-1", spec });
    await tracker.settled();
    expect(tracker.get(JOB)?.phase).toBe("dispatched");
    expect(logs.map((l) => l.event)).toContain("job.journal-write-failed");
    tracker.stop();
  });
});
