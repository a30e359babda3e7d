/**
 * The CLI workflow a provider, a consumer and a reviewer follow, each command run as its own process
 * against the local platform (developer machine / CI): upload, allow an image, rent, request a job,
 * watch it, fetch + decrypt + verify its result, review a flagged job, open an Explore session.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobStatus } from "@cce4long/protocol";
import type { Hex } from "viem";
import { afterAll, describe, expect, inject, it } from "vitest";
import { writeCohort } from "../../cli/src/cohort/write";
import { createHubClient } from "../../cli/src/sdk/hub-client";
import { REPO_ROOT } from "../../platform/src/stack";
import { runCliProcess } from "./run-cli";

const stack = inject("stack");
const work = mkdtempSync(join(tmpdir(), "cce4long-cli-flow-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = (...args: string[]) => runCliProcess(stack, ...args);

const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

async function statusOf(jobId: Hex): Promise<number> {
  const hub = createHubClient({
    api: stack.edgeApi,
    rpcUrl: stack.rpcUrl,
    chainId: stack.chainId,
    hub: stack.hubAddress as Hex,
  });
  return Number(await hub.jobStatus(jobId));
}

describe("the cce4long CLI workflow", () => {
  let datasetId: Hex;

  it("a provider registers and uploads a cohort; a consumer rents it", async () => {
    ({ datasetId } = json<{ datasetId: Hex }>(
      await cli(
        "--json",
        "--as",
        "provider",
        "dataset",
        "register",
        "--name",
        "CLI flow",
        "--price",
        "0.01",
        "--explore",
        "--reviewer",
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
      ),
    ));
    const cohort = join(work, "cohort.csv");
    await writeCohort({ participants: 3_000, seed: 7n, format: "csv", out: cohort });
    const upload = json<{ state: string }>(
      await cli("--json", "--as", "provider", "dataset", "upload", datasetId, cohort),
    );
    expect(upload.state).toBe("committed");
    json(await cli("--json", "--as", "consumer", "rent", datasetId));
  });

  it("a consumer runs the survival analysis and gets a decrypted, verified result", async () => {
    const spec = join(REPO_ROOT, "examples/survival-analysis/job.json");
    const digest = (JSON.parse(readFileSync(spec, "utf8")) as { image: { digest: string } }).image.digest;
    json(await cli("--json", "--as", "provider", "dataset", "allow-image", datasetId, digest));
    const keyFile = join(work, "survival.key");
    const { jobId } = json<{ jobId: Hex }>(
      await cli(
        "--json",
        "--as",
        "consumer",
        "job",
        "request",
        datasetId,
        "--spec",
        spec,
        "--result-key-out",
        keyFile,
      ),
    );
    expect(
      json<{ status: string }>(await cli("--json", "--as", "consumer", "job", "watch", jobId)).status,
    ).toBe("ResultReleased");
    const out = join(work, "result");
    const result = await cli(
      "--as",
      "consumer",
      "job",
      "result",
      jobId,
      "--out",
      out,
      "--result-key",
      keyFile,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(out, "outputs", "km_by_age_band.csv"), "utf8")).toContain("age_band");
  });

  it("a wrong result key fails verification with exit 4 and writes no plaintext", async () => {
    const spec = join(REPO_ROOT, "examples/survival-analysis/job.json");
    const keyFile = join(work, "second.key");
    const { jobId } = json<{ jobId: Hex }>(
      await cli(
        "--json",
        "--as",
        "consumer",
        "job",
        "request",
        datasetId,
        "--spec",
        spec,
        "--result-key-out",
        keyFile,
      ),
    );
    json(await cli("--json", "--as", "consumer", "job", "watch", jobId));
    const out = join(work, "wrong-key");
    const r = await cli(
      "--as",
      "consumer",
      "job",
      "result",
      jobId,
      "--out",
      out,
      "--result-key",
      join(work, "survival.key"),
    );
    expect(r.code).toBe(4);
    expect(existsSync(join(out, "outputs"))).toBe(false);
  });

  it("a reviewer sees a flagged job in the queue and rejects it with a reason", async () => {
    const spec = join(REPO_ROOT, "examples/network-probe/job.json");
    const digest = (JSON.parse(readFileSync(spec, "utf8")) as { image: { digest: string } }).image.digest;
    json(await cli("--json", "--as", "provider", "dataset", "allow-image", datasetId, digest));
    const { jobId } = json<{ jobId: Hex }>(
      await cli(
        "--json",
        "--as",
        "consumer",
        "job",
        "request",
        datasetId,
        "--spec",
        spec,
        "--result-key-out",
        join(work, "probe.key"),
      ),
    );
    const deadline = Date.now() + 120_000;
    while ((await statusOf(jobId)) !== JobStatus.UnderReview) {
      if (Date.now() > deadline) throw new Error("the job never reached review");
      await new Promise((r) => setTimeout(r, 500));
    }
    const queue = json<{ items: { jobId: string }[] }>(
      await cli("--json", "--as", "reviewer", "review", "queue", datasetId),
    );
    expect(queue.items.map((i) => i.jobId)).toContain(jobId);
    const noReason = await cli(
      "--as",
      "reviewer",
      "review",
      "decide",
      jobId,
      "--dataset",
      datasetId,
      "--decision",
      "reject",
      "--reason",
      " ",
    );
    expect(noReason.code).toBe(3);
    json(
      await cli(
        "--json",
        "--as",
        "reviewer",
        "review",
        "decide",
        jobId,
        "--dataset",
        datasetId,
        "--decision",
        "reject",
        "--reason",
        "diagnostics are not released",
      ),
    );
    expect(
      json<{ status: string }>(await cli("--json", "--as", "consumer", "job", "watch", jobId)).status,
    ).toBe("Rejected");
    const stranger = await cli("--as", "consumer", "review", "queue", datasetId);
    expect(stranger.code).toBe(5);
  });

  it("a consumer opens an Explore session and gets a notebook URL", async () => {
    const session = json<{ jupyterUrl: string; accessToken: string; apiBase: string; sessionId: string }>(
      await cli("--json", "--as", "consumer", "explore", "open", datasetId),
    );
    expect(session.jupyterUrl).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/v1\/explore\/sessions\/0x[0-9a-f]{64}\/jupyter\/\?token=/,
    );
    const closed = await cli(
      "explore",
      "close",
      `${new URL(session.apiBase).origin}/v1/explore/sessions/${session.sessionId}`,
      "--token",
      session.accessToken,
    );
    expect(closed.code, closed.stderr).toBe(0);
  });
});
