/**
 * Explore exports held for review against the fake hub (runs in tests): the item is recorded on-chain
 * for an open session only, joins the dataset's queue, is decided only by that dataset's reviewers, an
 * approval releases it once encrypted to the consumer's key with a manifest that verifies, a rejection
 * never releases it, and "request changes" is refused (nothing could resubmit an export).
 */
import { JobStatus } from "@cce4long/protocol";
import { RESULT_OBJECT_KEYS } from "@cce4long/protocol/api/results";
import { declaredOutputSchema } from "@cce4long/protocol/jobs/declared-outputs";
import { verifyManifestOffline } from "@cce4long/protocol/manifest/verify-manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { bytesToHex, type Hex, keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { openResultFile } from "../delivery/result-envelope";
import { NO_MEASUREMENT } from "./review-service";
import { DATASET, type Harness, harness, otherReviewer, report, signedDecision } from "./test-support";

const SESSION = keccak256(stringToBytes("session-1"));
const CONSUMER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const NOTES = "Mortality rose with epigenetic age acceleration.\n";
const declared = declaredOutputSchema.parse({
  kind: "free_text",
  path: "notes.md",
  description: "notes",
  format: "md",
});

function exportOf(h: Harness, exportId: Hex, sessionOpen = true) {
  if (sessionOpen) h.chain.openSessions.set(`${DATASET}/${SESSION}`, CONSUMER);
  return h.service.acceptExploreExport({
    item: {
      exportId,
      datasetId: DATASET,
      sessionId: SESSION,
      datasetVersion: 1,
      resultPublicKey: bytesToHex(h.consumer.publicKey),
    },
    consumer: CONSUMER,
    declared,
    file: { path: "notes.md", bytes: new TextEncoder().encode(NOTES) },
    report: report("needs-review", "notes.md"),
  });
}

const deadline = (h: Harness) => Math.floor(h.clock.now.getTime() / 1000) + 600;

describe("Explore exports held for review", () => {
  it("queues the export, and the dataset reviewer's approval releases it once, encrypted to the consumer", async () => {
    const h = harness();
    const id = keccak256(stringToBytes("export-1"));
    const queued = await exportOf(h, id);
    expect(queued).toMatchObject({
      state: "needs-review",
      consumer: CONSUMER,
      explore: { sessionId: SESSION },
    });
    expect(h.chain.records).toEqual(["recordExploreExportSubmitted", "recordOutputDecision(3)"]);
    expect((await h.service.queue(DATASET)).map((r) => r.jobId)).toEqual([id]);

    const outsider = await signedDecision({
      jobId: id,
      outputsCommitment: queued.outputsCommitment,
      decision: "approve",
      deadline: deadline(h),
      signer: otherReviewer,
    });
    await expect(h.service.decide(outsider)).rejects.toMatchObject({ code: "AUTH_FORBIDDEN" });
    expect(await h.chain.jobStatus(id)).toBe(JobStatus.UnderReview);

    const approve = await signedDecision({
      jobId: id,
      outputsCommitment: queued.outputsCommitment,
      decision: "approve",
      deadline: deadline(h),
    });
    const released = await h.service.decide(approve);
    expect(released.state).toBe("released");
    expect(await h.chain.jobStatus(id)).toBe(JobStatus.ResultReleased);
    const manifestBytes = h.objects.objects.get(`${BUCKETS.results}/${RESULT_OBJECT_KEYS.manifest(id)}`);
    const verified = await verifyManifestOffline(JSON.parse(new TextDecoder().decode(manifestBytes)));
    expect(verified.manifest).toMatchObject({
      jobId: id,
      measurementId: NO_MEASUREMENT,
      specCommitment: SESSION,
    });
    const envelope = h.objects.objects.get(`${BUCKETS.results}/${RESULT_OBJECT_KEYS.output(id, "notes.md")}`);
    const plain = await openResultFile(
      h.consumer.privateKey,
      { jobId: id, datasetId: DATASET, path: "notes.md" },
      envelope ?? new Uint8Array(),
    );
    expect(new TextDecoder().decode(plain)).toBe(NOTES);

    await expect(h.service.decide({ ...approve, nonce: "43" })).rejects.toMatchObject({
      code: "JOB_INVALID_STATE",
    });
    await expect(h.service.release(id)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(h.chain.records.filter((r) => r === "recordResultReleased")).toHaveLength(1);
  });

  it("error: a rejected export is never released", async () => {
    const h = harness();
    const id = keccak256(stringToBytes("export-2"));
    const queued = await exportOf(h, id);
    const reject = await signedDecision({
      jobId: id,
      outputsCommitment: queued.outputsCommitment,
      decision: "reject",
      deadline: deadline(h),
    });
    expect((await h.service.decide(reject)).state).toBe("rejected");
    await expect(h.service.release(id)).rejects.toMatchObject({ code: "JOB_INVALID_STATE" });
    expect(h.chain.records).not.toContain("recordResultReleased");
    expect(h.objects.objects.size).toBe(0);
    expect(await h.vault.get(id)).toBeUndefined();
  });

  it("error: request-changes is refused for an export, without using up the reviewer's nonce", async () => {
    const h = harness();
    const id = keccak256(stringToBytes("export-3"));
    const queued = await exportOf(h, id);
    const changes = await signedDecision({
      jobId: id,
      outputsCommitment: queued.outputsCommitment,
      decision: "request-changes",
      deadline: deadline(h),
    });
    await expect(h.service.decide(changes)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect((await h.service.get(id))?.state).toBe("needs-review");
    expect(await h.store.useNonce(changes.reviewer, changes.nonce)).toBe(true);
  });

  it("error: no item without an open session on-chain; the local record ends failed, nothing queued", async () => {
    const h = harness();
    const id = keccak256(stringToBytes("export-4"));
    await expect(exportOf(h, id, false)).rejects.toMatchObject({ code: "CHAIN_REVERTED" });
    expect(await h.service.get(id)).toMatchObject({ state: "failed" });
    expect(await h.service.queue(DATASET)).toEqual([]);
    expect(await h.vault.get(id)).toBeUndefined();
    expect(h.chain.records).toEqual([]);
  });

  it("error: an export id is never reused", async () => {
    const h = harness();
    const id = keccak256(stringToBytes("export-6"));
    await exportOf(h, id);
    await expect(exportOf(h, id)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(h.chain.records.filter((r) => r === "recordExploreExportSubmitted")).toHaveLength(1);
  });

  it("error: the hub naming another consumer than the session's ends the item", async () => {
    const h = harness();
    const id = keccak256(stringToBytes("export-7"));
    h.chain.openSessions.set(`${DATASET}/${SESSION}`, "0x90F79bf6EB2c4f870365E785982E1f101E93b906");
    await expect(exportOf(h, id, false)).rejects.toMatchObject({ code: "CHAIN_REVERTED" });
    expect(await h.service.get(id)).toMatchObject({ state: "failed" });
    expect(await h.service.queue(DATASET)).toEqual([]);
    expect(await h.chain.jobStatus(id)).toBe(JobStatus.Failed);
  });

  it("error: an export the gate approved or rejected is not queued", async () => {
    const h = harness();
    h.chain.openSessions.set(`${DATASET}/${SESSION}`, CONSUMER);
    await expect(
      h.service.acceptExploreExport({
        item: {
          exportId: keccak256(stringToBytes("export-5")),
          datasetId: DATASET,
          sessionId: SESSION,
          datasetVersion: 1,
          resultPublicKey: bytesToHex(h.consumer.publicKey),
        },
        consumer: CONSUMER,
        declared,
        file: { path: "notes.md", bytes: new TextEncoder().encode(NOTES) },
        report: report("auto-approved", "notes.md"),
      }),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(h.chain.records).toEqual([]);
  });
});
