/**
 * ensureJobState: the job is on-chain, Dispatched, matches the credential's scope, image still allowed (runs in Node).
 */
import { JobStatus } from "@cce4long/protocol";
import { describe, expect, it } from "vitest";
import { ensureJobState } from "./ensure-job-state";
import { b32, fakeChain, testCredential, testIssuer, testJob } from "./test-support";

const issuer = testIssuer();

describe("ensureJobState", () => {
  it("returns the dispatched job the credential names", async () => {
    const job = testJob();
    const { claims } = await testCredential(issuer.privateKey, job);
    expect(await ensureJobState({ chain: fakeChain([job]), claims })).toMatchObject({ jobId: job.jobId });
  });

  it("error: unknown job", async () => {
    const { claims } = await testCredential(issuer.privateKey, testJob());
    await expect(ensureJobState({ chain: fakeChain([]), claims })).rejects.toMatchObject({
      detail: { reason: "JOB_UNKNOWN" },
    });
  });

  it.each([JobStatus.Requested, JobStatus.KeyReleased, JobStatus.Failed, JobStatus.Cancelled])(
    "error: job in status %i (not Dispatched; a key already released is a replay)",
    async (status) => {
      const job = testJob();
      const { claims } = await testCredential(issuer.privateKey, job);
      await expect(ensureJobState({ chain: fakeChain([{ ...job, status }]), claims })).rejects.toMatchObject({
        code: "KEY_RELEASE_DENIED",
        detail: { reason: "JOB_STATE" },
      });
    },
  );

  it.each([
    ["datasetId", { datasetId: b32("c") }],
    ["imageDigest", { imageDigest: b32("d") }],
    ["datasetVersion", { datasetVersion: 2 }],
    ["specCommitment", { specCommitment: b32("e") }],
  ])("error: credential scoped to another %s", async (field, patch) => {
    const job = testJob();
    const { claims } = await testCredential(issuer.privateKey, { ...job, ...patch });
    await expect(ensureJobState({ chain: fakeChain([job]), claims })).rejects.toMatchObject({
      detail: { reason: "JOB_MISMATCH", fields: [field] },
    });
  });

  it("error: the image digest was disallowed after dispatch", async () => {
    const job = testJob();
    const chain = fakeChain([job]);
    chain.allowedImages.clear();
    const { claims } = await testCredential(issuer.privateKey, job);
    await expect(ensureJobState({ chain, claims })).rejects.toMatchObject({
      detail: { reason: "IMAGE_NOT_ALLOWED" },
    });
  });
});
