/**
 * Tests of `cce4long cohort generate` through the real CLI entry (runs in Node under vitest).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { EXIT } from "../exit-codes";
import { run } from "../main";

const dir = mkdtempSync(join(tmpdir(), "cce4long-cli-cohort-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture() {
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  return {
    stdout: () => stdout.mock.calls.map((c) => String(c[0])).join(""),
    stderr: () => stderr.mock.calls.map((c) => String(c[0])).join(""),
  };
}

describe("cce4long cohort generate", () => {
  it("writes the file, reports progress on stderr and the summary on stdout", async () => {
    const out = join(dir, "a.csv");
    const io = capture();
    const code = await run(["cohort", "generate", "--participants", "25000", "--seed", "3", "--out", out]);
    expect(code).toBe(EXIT.OK);
    expect(readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(25_001);
    expect(io.stderr()).toContain("100%  25,000 rows");
    expect(io.stdout()).toMatch(/wrote 25,000 participants to .*a\.csv \(csv/);
  });

  it("prints one JSON document with --json", async () => {
    const out = join(dir, "b.parquet");
    const io = capture();
    const code = await run([
      "--json",
      "cohort",
      "generate",
      "--participants",
      "50",
      "--format",
      "parquet",
      "--out",
      out,
    ]);
    expect(code).toBe(EXIT.OK);
    const summary = JSON.parse(io.stdout());
    expect(summary).toMatchObject({ participants: 50, format: "parquet", seed: "1", out });
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(io.stderr()).toBe("");
  });

  it.each([
    [["--participants", "ten"], "--participants must be a whole number"],
    [["--participants", "0"], "participants must be an integer from 1"],
    [["--participants", "5", "--seed", "1.5"], "--seed must be an integer"],
    [["--participants", "5", "--format", "xlsx"], "--format must be csv or parquet"],
  ])("error: %j exits with INVALID_INPUT and a clear message", async (args, message) => {
    const out = join(dir, "bad.csv");
    const io = capture();
    const code = await run(["cohort", "generate", ...args, "--out", out]);
    expect(code).toBe(EXIT.INVALID_INPUT);
    expect(io.stderr()).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it("error: a missing --out is a usage error", async () => {
    capture();
    expect(await run(["cohort", "generate", "--participants", "5"])).toBe(EXIT.USAGE);
  });
});
