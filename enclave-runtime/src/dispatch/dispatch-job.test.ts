/**
 * Dispatch: one VM per job however often its message arrives (sequential and concurrent duplicates),
 * refusals for requests that do not match or may not run, a VM that never calls back is torn down and
 * failed on-chain, and a bad queue message is acked without a dispatch (runs in Node, fakes only).
 */
import { Cce4longError, JobFailureReason, JobStatus } from "@cce4long/protocol";
import { imageDigestBytes32, jobSpecCommitment } from "@cce4long/protocol/jobs/job-spec";
import type { JobSubmittedMessage } from "@cce4long/protocol/queue/messages";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ComputeLauncher, LaunchJob } from "../compute/launcher";
import { createInMemorySpecSource } from "../jobs/spec-source";
import { fakeChain, TEST_DOMAIN, testIssuer, testJob } from "../key-release/test-support";
import { type DispatchDeps, dispatchJob } from "./dispatch-job";
import { parseJobMessage } from "./job-queue-consumer";
import { JobTracker } from "./job-tracker";

const digest = `sha256:${"ab".repeat(32)}`;
const spec = {
  apiVersion: "cce4long.dev/job/v1",
  name: "aggregate",
  image: { digest },
  command: ["/usr/bin/python3", "main.py"],
  resources: { timeoutSeconds: 60 },
  outputs: [{ kind: "free_text", path: "out.txt", description: "x", format: "txt" }],
};

function fakeLauncher(options: { failWith?: Cce4longError } = {}) {
  const launches: LaunchJob[] = [];
  const destroyed: string[] = [];
  const live = new Set<string>();
  const launcher: ComputeLauncher = {
    kind: "local",
    async launch(job) {
      await new Promise((r) => setTimeout(r, 5));
      if (options.failWith) throw options.failWith;
      if (live.has(job.jobId)) throw new Cce4longError("COMPUTE_ALREADY_LAUNCHED", "exists");
      live.add(job.jobId);
      launches.push(job);
      return { instanceRef: `local:${job.jobId}`, launchedAt: new Date() };
    },
    async status() {
      return { state: "running" };
    },
    async destroy(ref) {
      destroyed.push(ref);
      return { alreadyGone: false };
    },
    refForJob: (jobId) => `local:${jobId}`,
  };
  return { launcher, launches, destroyed };
}

function setUp(options: { failWith?: Cce4longError; keyReleaseTimeoutMs?: number } = {}) {
  const job = testJob({
    status: JobStatus.Requested,
    datasetVersion: 0,
    imageDigest: imageDigestBytes32(digest),
    specCommitment: jobSpecCommitment(spec),
  });
  const chain = fakeChain([job]);
  const { launcher, launches, destroyed } = fakeLauncher(options);
  const logs: { event: string; fields: Record<string, unknown> }[] = [];
  const log = (event: string, fields: Record<string, unknown>) => logs.push({ event, fields });
  const tracker = new JobTracker({
    chain,
    launcher,
    log,
    keyReleaseTimeoutMs: options.keyReleaseTimeoutMs ?? 60_000,
    jobGraceMs: 1000,
  });
  const issuer = testIssuer();
  const deps: DispatchDeps = {
    chain,
    specs: createInMemorySpecSource([spec]),
    launcher,
    tracker,
    credentialKey: async () => ({ privateKey: issuer.privateKey, wipe: () => {} }),
    credentialDomain: TEST_DOMAIN,
    credentialTtlSeconds: 600,
    machineProfile: "standard",
    vmGraceSeconds: 300,
    log,
    now: () => new Date(),
  };
  const message: JobSubmittedMessage = {
    type: "job.submitted",
    version: 1,
    jobId: job.jobId,
    datasetId: job.datasetId,
    consumer: job.consumer,
    submittedAt: new Date().toISOString(),
  };
  return { job, chain, deps, message, launches, destroyed, tracker, logs };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("dispatchJob", () => {
  it("launches the job's VM with a credential and records the dispatch on-chain", async () => {
    const { deps, message, launches, chain, job } = setUp();
    expect(await dispatchJob(message, deps)).toMatchObject({ outcome: "dispatched" });
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({ jobId: job.jobId, imageDigest: digest, maxRunSeconds: 360 });
    expect(launches[0]!.credential).toMatch(/^jc1\./);
    expect(chain.records).toEqual([{ kind: "dispatched", jobId: job.jobId, value: 1 }]);
    expect(chain.jobs.get(job.jobId)!.status).toBe(JobStatus.Dispatched);
  });

  it("launches one VM for a message delivered three times, one after another", async () => {
    const { deps, message, launches } = setUp();
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await dispatchJob(message, deps)).outcome);
    expect(outcomes).toEqual(["dispatched", "duplicate", "duplicate"]);
    expect(launches).toHaveLength(1);
  });

  it("launches one VM for five copies of a message handled at the same time", async () => {
    const { deps, message, launches, chain } = setUp();
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => dispatchJob(message, deps)));
    expect(outcomes.filter((o) => o.outcome === "dispatched")).toHaveLength(1);
    expect(launches).toHaveLength(1);
    expect(chain.records.filter((r) => r.kind === "dispatched")).toHaveLength(1);
  });

  it("refuses a message that does not match the on-chain request, without launching", async () => {
    const { deps, message, launches } = setUp();
    const forged = { ...message, consumer: "0x0000000000000000000000000000000000000001" };
    expect(await dispatchJob(forged, deps)).toMatchObject({ outcome: "refused" });
    expect(await dispatchJob({ ...message, jobId: `0x${"e".repeat(64)}` }, deps)).toMatchObject({
      outcome: "refused",
    });
    expect(launches).toHaveLength(0);
  });

  it("fails the job on-chain when the rental expired before dispatch", async () => {
    const { deps, message, launches, chain, job } = setUp();
    chain.activeRentals.clear();
    expect(await dispatchJob(message, deps)).toMatchObject({ outcome: "refused" });
    expect(launches).toHaveLength(0);
    expect(chain.records).toEqual([
      { kind: "failed", jobId: job.jobId, value: JobFailureReason.RentalExpired },
    ]);
  });

  it("fails the job with LaunchFailed when the provider rejects the VM, and retries when capacity is short", async () => {
    const rejected = setUp({ failWith: new Cce4longError("COMPUTE_REQUEST_REJECTED", "no") });
    expect(await dispatchJob(rejected.message, rejected.deps)).toMatchObject({ outcome: "refused" });
    expect(rejected.chain.records.at(-1)).toMatchObject({
      kind: "failed",
      value: JobFailureReason.LaunchFailed,
    });

    const short = setUp({ failWith: new Cce4longError("COMPUTE_CAPACITY_UNAVAILABLE", "later") });
    expect(await dispatchJob(short.message, short.deps)).toMatchObject({ outcome: "retry" });
    expect(short.chain.records).toEqual([]);
    expect(short.tracker.get(short.job.jobId)).toBeUndefined();
  });

  it("tears down and fails (Timeout) a job whose VM never asks for its key", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { deps, message, destroyed, chain, job } = setUp({ keyReleaseTimeoutMs: 1000 });
    const dispatched = dispatchJob(message, deps);
    await vi.advanceTimersByTimeAsync(10);
    expect(await dispatched).toMatchObject({ outcome: "dispatched" });
    await vi.advanceTimersByTimeAsync(1000);
    expect(destroyed).toEqual([`local:${job.jobId}`]);
    expect(chain.records.at(-1)).toEqual({
      kind: "failed",
      jobId: job.jobId,
      value: JobFailureReason.Timeout,
    });
  });
});

describe("job queue messages", () => {
  it("refuses (for acking) what is not a job message", () => {
    const logs: string[] = [];
    const log = (event: string) => logs.push(event);
    for (const data of [
      "not json",
      "{}",
      JSON.stringify({ type: "job.submitted", version: 2 }),
      "x".repeat(20_000),
    ]) {
      expect(parseJobMessage(Buffer.from(data), log, "m1")).toBeUndefined();
    }
    expect(logs).toEqual(Array(4).fill("queue.message-refused"));
  });
});
