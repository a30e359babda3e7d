/**
 * Per-dataset policies end to end on the local platform (developer machine / CI): the provider signs a
 * stricter Output Gate policy with the CLI, anyone inspects it, and the Privacy Plane applies it, so the
 * survival analysis (auto-approved under the ACRO defaults, see cli-workflow.test.ts) goes to review.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobStatus } from "@cce4long/protocol";
import type { Hex } from "viem";
import { afterAll, describe, expect, inject, it } from "vitest";
import { writeCohort } from "../../cli/src/cohort/write";
import { createHubClient } from "../../cli/src/sdk/hub-client";
import type { PolicyInspection } from "../../cli/src/sdk/policies";
import { REPO_ROOT } from "../../platform/src/stack";
import { runCliProcess } from "./run-cli";

const stack = inject("stack");
const work = mkdtempSync(join(tmpdir(), "cce4long-policies-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = (...args: string[]) => runCliProcess(stack, ...args);
const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

const hub = createHubClient({
  api: stack.edgeApi,
  rpcUrl: stack.rpcUrl,
  chainId: stack.chainId,
  hub: stack.hubAddress as Hex,
});

/** Waits until the job has left the running states; returns where it settled. */
async function settledStatus(jobId: Hex): Promise<number> {
  const settled = new Set<number>([
    JobStatus.UnderReview,
    JobStatus.ResultReleased,
    JobStatus.Rejected,
    JobStatus.Failed,
    JobStatus.Cancelled,
  ]);
  const deadline = Date.now() + 180_000;
  for (;;) {
    const status = Number(await hub.jobStatus(jobId));
    if (settled.has(status)) return status;
    if (Date.now() > deadline) throw new Error(`the job never settled (status ${status})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function writeJson(name: string, value: unknown): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

const SURVIVAL_SPEC = join(REPO_ROOT, "examples/survival-analysis/job.json");

async function requestSurvival(datasetId: Hex, name: string): Promise<Hex> {
  const { jobId } = json<{ jobId: Hex }>(
    await cli(
      "--json",
      "--as",
      "consumer",
      "job",
      "request",
      datasetId,
      "--spec",
      SURVIVAL_SPEC,
      "--result-key-out",
      join(work, `${name}.key`),
    ),
  );
  return jobId;
}

describe("per-dataset policies", () => {
  let datasetId: Hex;
  const strict = writeJson("strict-gate.json", {
    minCellCount: 1000,
    survival: { threshold: 1000 },
    onFailure: { disclosure: "review" },
  });

  it("a new dataset has no policy: the defaults apply, and the survival analysis is auto-approved", async () => {
    ({ datasetId } = json<{ datasetId: Hex }>(
      await cli(
        "--json",
        "--as",
        "provider",
        "dataset",
        "register",
        "--name",
        "Policies",
        "--price",
        "0.01",
        "--reviewer",
        "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
      ),
    ));
    const shown = json<{ policies: PolicyInspection[] }>(await cli("--json", "dataset", "policy", datasetId));
    expect(shown.policies.map((p) => [p.kind, p.source, p.signatureValid])).toEqual([
      ["gate", "default", null],
      ["explore-sample", "default", null],
    ]);
    const cohort = join(work, "cohort.csv");
    await writeCohort({ participants: 3_000, seed: 7n, format: "csv", out: cohort });
    expect(
      json<{ state: string }>(await cli("--json", "--as", "provider", "dataset", "upload", datasetId, cohort))
        .state,
    ).toBe("committed");
    json(await cli("--json", "--as", "consumer", "rent", datasetId));
    const digest = (JSON.parse(readFileSync(SURVIVAL_SPEC, "utf8")) as { image: { digest: string } }).image
      .digest;
    json(await cli("--json", "--as", "provider", "dataset", "allow-image", datasetId, digest));
    expect(await settledStatus(await requestSurvival(datasetId, "baseline"))).toBe(JobStatus.ResultReleased);
  });

  it("error: only the provider can set a policy, and only a valid one", async () => {
    const stranger = await cli(
      "--as",
      "consumer",
      "dataset",
      "set-policy",
      datasetId,
      "--kind",
      "gate",
      "--file",
      strict,
    );
    expect(stranger.code, stranger.stderr).toBe(5);
    const invalid = writeJson("invalid.json", { minCellCount: "ten" });
    const bad = await cli(
      "--as",
      "provider",
      "dataset",
      "set-policy",
      datasetId,
      "--kind",
      "gate",
      "--file",
      invalid,
    );
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("minCellCount");
  });

  it("the provider sets a stricter gate policy; anyone sees it is signed by the provider", async () => {
    const set = json<{ version: number }>(
      await cli(
        "--json",
        "--as",
        "provider",
        "dataset",
        "set-policy",
        datasetId,
        "--kind",
        "gate",
        "--file",
        strict,
      ),
    );
    expect(set.version).toBe(1);
    const shown = json<{ policies: PolicyInspection[] }>(
      await cli("--json", "dataset", "policy", datasetId, "--kind", "gate"),
    );
    expect(shown.policies).toHaveLength(1);
    expect(shown.policies[0]).toMatchObject({ source: "provider", signatureValid: true, version: 1 });
    expect(shown.policies[0]!.policy).toMatchObject({ minCellCount: 1000, pRatio: 0.1 });
    const replayed = await cli(
      "--as",
      "provider",
      "dataset",
      "set-policy",
      datasetId,
      "--kind",
      "gate",
      "--file",
      strict,
      "--version",
      "1",
    );
    expect(replayed.code).toBe(8);
  });

  it("under the provider's policy the same job goes to review, flagged by the stricter disclosure rules", async () => {
    const jobId = await requestSurvival(datasetId, "strict");
    expect(await settledStatus(jobId)).toBe(JobStatus.UnderReview);
    const queue = json<{ items: { jobId: string }[] }>(
      await cli("--json", "--as", "reviewer", "review", "queue", datasetId),
    );
    const item = queue.items.find((i) => i.jobId === jobId);
    expect(JSON.stringify(item)).toMatch(/disclosure\.(survival_at_risk|small_cell)/);
  });
});
