/**
 * The review of job outputs end to end against fakes (runs in tests): auto and reviewer decisions,
 * release exactly once with a verifiable manifest, the reviewer checks (other dataset, expired,
 * replayed, no reason, other output set), the timeout policy, events, and recovery after a crash.
 */
import { JobStatus } from "@cce4long/protocol";
import { RESULT_OBJECT_KEYS } from "@cce4long/protocol/api/results";
import { verifyManifestOffline } from "@cce4long/protocol/manifest/verify-manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { type Hex, keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { openResultFile } from "../delivery/result-envelope";
import { DATASET, FILES, type Harness, harness, otherReviewer, report, signedDecision } from "./test-support";

const JOB = keccak256(stringToBytes("job-1"));

async function submitted(h: Harness, decision: "auto-approved" | "needs-review" | "rejected-by-rules") {
  h.chain.addJob(JOB, h.consumer.publicKey);
  h.nextReport.value = report(decision);
  return h.service.accept({
    jobId: JOB,
    declared: [],
    files: FILES.map((f) => ({ ...f, bytes: f.bytes.slice() })),
  });
}

function storedManifest(h: Harness): unknown {
  const bytes = h.objects.objects.get(`${BUCKETS.results}/${RESULT_OBJECT_KEYS.manifest(JOB)}`);
  return bytes === undefined ? undefined : JSON.parse(new TextDecoder().decode(bytes));
}

const deadline = (h: Harness, seconds = 600) => Math.floor(h.clock.now.getTime() / 1000) + seconds;

describe("review service", () => {
  it("releases an auto-approved set once, with a signed manifest whose hash is on-chain", async () => {
    const h = harness();
    const record = await submitted(h, "auto-approved");
    expect(record.state).toBe("released");
    expect(h.chain.records).toEqual([
      "recordOutputsSubmitted",
      "recordOutputDecision(1)",
      "recordResultReleased",
    ]);
    const verified = await verifyManifestOffline(storedManifest(h), { expectedJobId: JOB });
    expect(verified.manifest.signer.toLowerCase()).toBe(h.manifestSigner.toLowerCase());
    expect(h.chain.released.get(JOB)).toBe(verified.manifestHash);
    expect(record.release?.manifestHash).toBe(verified.manifestHash);
    const envelope = h.objects.objects.get(
      `${BUCKETS.results}/${RESULT_OBJECT_KEYS.output(JOB, "table.csv")}`,
    );
    const plain = await openResultFile(
      h.consumer.privateKey,
      { jobId: JOB, datasetId: DATASET, path: "table.csv" },
      envelope ?? new Uint8Array(),
    );
    expect(new TextDecoder().decode(plain)).toBe("group,count\na,20\nb,30\n");
    expect(await h.vault.get(JOB)).toBeUndefined();
    await expect(h.service.release(JOB)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(h.chain.records.filter((r) => r === "recordResultReleased")).toHaveLength(1);
  });

  it("routes a flagged set to review, and an on-chain reviewer's approval releases it with the decision in the manifest", async () => {
    const h = harness();
    const record = await submitted(h, "needs-review");
    expect(record.state).toBe("needs-review");
    expect(await h.service.queue(DATASET)).toHaveLength(1);
    const decision = await signedDecision({
      jobId: JOB,
      outputsCommitment: record.outputsCommitment,
      decision: "approve",
      deadline: deadline(h),
    });
    const released = await h.service.decide(decision);
    expect(released.state).toBe("released");
    const verified = await verifyManifestOffline(storedManifest(h));
    expect(verified.manifest.reviews).toHaveLength(1);
    expect(verified.manifest.reviews[0]?.reasonHash).toBe(keccak256(stringToBytes("aggregates are safe")));
    expect(verified.checks).toContain("reviewer-signatures");
    expect(h.events.map((e) => e.type)).toEqual([
      "job.outputs-submitted",
      "job.under-review",
      "review.requested",
      "review.decided",
      "job.approved",
      "job.result-released",
    ]);
  });

  it("rejects a set the rules reject, stores nothing and wipes the outputs", async () => {
    const h = harness();
    const record = await submitted(h, "rejected-by-rules");
    expect(record.state).toBe("rejected");
    expect(h.objects.keys(BUCKETS.results)).toEqual([]);
    expect(await h.vault.get(JOB)).toBeUndefined();
    expect((await h.chain.getJob(JOB))?.status).toBe(JobStatus.Rejected);
  });

  it("refuses a reviewer of another dataset, and the set stays in review", async () => {
    const h = harness();
    const record = await submitted(h, "needs-review");
    const decision = await signedDecision({
      jobId: JOB,
      outputsCommitment: record.outputsCommitment,
      decision: "approve",
      deadline: deadline(h),
      signer: otherReviewer,
    });
    await expect(h.service.decide(decision)).rejects.toMatchObject({ code: "AUTH_FORBIDDEN" });
    expect((await h.service.get(JOB))?.state).toBe("needs-review");
  });

  it.each([
    ["an expired signature", { deadline: -1 }, "AUTH_FORBIDDEN"],
    ["a deadline weeks away", { deadline: 30 * 86400 }, "AUTH_FORBIDDEN"],
    ["an empty reason", { reason: "   " }, "VALIDATION_FAILED"],
    [
      "a decision on another output set",
      { outputsCommitment: keccak256(stringToBytes("other")) as Hex },
      "CONFLICT",
    ],
    ["a signature for another chain", { chainId: 1 }, "AUTH_FORBIDDEN"],
  ] as const)("refuses %s", async (_name, change, code) => {
    const h = harness();
    const record = await submitted(h, "needs-review");
    const { deadline: offset, ...rest } = { deadline: 600, ...change };
    const decision = await signedDecision({
      jobId: JOB,
      outputsCommitment: record.outputsCommitment,
      decision: "approve",
      ...rest,
      deadline: deadline(h, offset),
    });
    await expect(h.service.decide(decision)).rejects.toMatchObject({ code });
    expect((await h.service.get(JOB))?.state).toBe("needs-review");
  });

  it("refuses a signature whose fields were changed after signing", async () => {
    const h = harness();
    const record = await submitted(h, "needs-review");
    const decision = await signedDecision({
      jobId: JOB,
      outputsCommitment: record.outputsCommitment,
      decision: "reject",
      deadline: deadline(h),
    });
    await expect(
      h.service.decide({ ...decision, decision: "approve", decisionCode: 4 }),
    ).rejects.toMatchObject({
      code: "AUTH_FORBIDDEN",
    });
  });

  it("refuses a replayed signature (a nonce is used once) after changes were requested", async () => {
    const h = harness();
    const record = await submitted(h, "needs-review");
    const ask = await signedDecision({
      jobId: JOB,
      outputsCommitment: record.outputsCommitment,
      decision: "request-changes",
      deadline: deadline(h),
    });
    expect((await h.service.decide(ask)).state).toBe("changes-requested");
    await expect(h.service.decide(ask)).rejects.toMatchObject({ code: "JOB_INVALID_STATE" });
    // New outputs arrive; the old signature (same nonce) cannot decide them.
    h.nextReport.value = report("needs-review");
    const again = await h.service.accept({
      jobId: JOB,
      declared: [],
      files: [{ path: "table.csv", bytes: new TextEncoder().encode("group,count\na,40\n") }],
    });
    expect(again.state).toBe("needs-review");
    const replay = await signedDecision({
      jobId: JOB,
      outputsCommitment: again.outputsCommitment,
      decision: "approve",
      deadline: deadline(h),
    });
    await expect(h.service.decide(replay)).rejects.toMatchObject({ code: "AUTH_FORBIDDEN" });
    const fresh = await signedDecision({
      jobId: JOB,
      outputsCommitment: again.outputsCommitment,
      decision: "approve",
      deadline: deadline(h),
      nonce: "43",
    });
    expect((await h.service.decide(fresh)).state).toBe("released");
  });

  it("refuses a second set of outputs while one is under review", async () => {
    const h = harness();
    await submitted(h, "needs-review");
    await expect(
      h.service.accept({ jobId: JOB, declared: [], files: [{ path: "x.csv", bytes: new Uint8Array([1]) }] }),
    ).rejects.toMatchObject({ code: "JOB_INVALID_STATE" });
  });

  it("rejects a set left in review past the timeout, recorded on-chain as failed (ReviewTimedOut)", async () => {
    const h = harness({ timeout: { afterHours: 2, action: "reject" } });
    await submitted(h, "needs-review");
    await h.service.sweep();
    expect((await h.service.get(JOB))?.state).toBe("needs-review");
    h.clock.now = new Date(h.clock.now.getTime() + 3 * 3_600_000);
    await h.service.sweep();
    expect((await h.service.get(JOB))?.state).toBe("rejected");
    expect(h.chain.records.at(-1)).toBe("recordFailed(10)");
  });

  it("escalates a set left in review once, keeping it in review", async () => {
    const h = harness({ timeout: { afterHours: 2, action: "escalate" } });
    await submitted(h, "needs-review");
    h.clock.now = new Date(h.clock.now.getTime() + 3 * 3_600_000);
    await h.service.sweep();
    await h.service.sweep();
    const record = await h.service.get(JOB);
    expect(record?.state).toBe("needs-review");
    expect(record?.escalatedAt).not.toBeNull();
    expect(h.events.filter((e) => e.type === "review.requested" && e.data.escalated)).toHaveLength(1);
  });

  it("finishes a release whose chain record failed, with the same manifest hash, on the next sweep", async () => {
    const h = harness();
    h.chain.failNext = "recordResultReleased";
    await expect(submitted(h, "auto-approved")).rejects.toMatchObject({ code: "CHAIN_UNREACHABLE" });
    const pending = await h.service.get(JOB);
    expect(pending?.state).toBe("auto-approved");
    const hash = pending?.release?.manifestHash;
    expect(hash).toMatch(/^0x/);
    await h.service.sweep();
    const done = await h.service.get(JOB);
    expect(done?.state).toBe("released");
    expect(h.chain.released.get(JOB)).toBe(hash);
    expect((await verifyManifestOffline(storedManifest(h))).manifestHash).toBe(hash);
  });

  it("does not record a step twice when the chain already shows it", async () => {
    const h = harness();
    h.chain.addJob(JOB, h.consumer.publicKey, JobStatus.OutputsSubmitted);
    h.nextReport.value = report("needs-review");
    await h.service.accept({ jobId: JOB, declared: [], files: FILES });
    expect(h.chain.records).toEqual(["recordOutputDecision(3)"]);
  });
});
