/**
 * The file-backed review store (runs in tests, in a temp folder): records survive a new instance,
 * compare-and-set refuses a stale revision, nonces stay used across instances, and malformed ids
 * cannot become paths.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, stringToBytes } from "viem";
import { afterAll, describe, expect, it } from "vitest";
import { FileReviewStore } from "./file-review-store";
import { FILES, harness, report } from "./test-support";

const dir = mkdtempSync(join(tmpdir(), "cce4long-review-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const JOB = keccak256(stringToBytes("job-file"));

describe("file review store", () => {
  it("keeps a review across instances and refuses a stale compare-and-set", async () => {
    const h = harness({ store: new FileReviewStore(dir) });
    h.chain.addJob(JOB, h.consumer.publicKey);
    h.nextReport.value = report("needs-review");
    const record = await h.service.accept({ jobId: JOB, declared: [], files: FILES });
    const reopened = new FileReviewStore(dir);
    expect(await reopened.get(JOB)).toEqual(record);
    expect(await reopened.list()).toHaveLength(1);
    expect(await reopened.compareAndSet(JOB, record.revision - 1, { ...record, state: "approved" })).toBe(
      false,
    );
    expect((await reopened.get(JOB))?.state).toBe("needs-review");
    expect(statSync(join(dir, "reviews", `${JOB}.json`)).mode & 0o777).toBe(0o600);
  });

  it("keeps a used nonce used after a restart", async () => {
    const reviewer = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
    expect(await new FileReviewStore(dir).useNonce(reviewer, "7")).toBe(true);
    expect(await new FileReviewStore(dir).useNonce(reviewer.toLowerCase(), "7")).toBe(false);
    expect(await new FileReviewStore(dir).useNonce(reviewer, "8")).toBe(true);
  });

  it("refuses job ids and nonces that are not their exact shape", async () => {
    const store = new FileReviewStore(dir);
    await expect(store.get("../../etc/passwd")).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(
      store.useNonce("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "1/../x"),
    ).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });
});
