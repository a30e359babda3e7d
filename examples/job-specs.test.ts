/**
 * Every example's job.json is a valid job spec pinned to its folder's current contents, with a
 * README (runs in Node under vitest). After editing an example: `npx tsx examples/pin-image-digests.ts`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { jobSpecCommitment, parseJobSpec } from "@cce4long/protocol/jobs/job-spec";
import { describe, expect, it } from "vitest";
import { exampleImageDigest, exampleImageFiles } from "./image-digest";

const root = import.meta.dirname;
const examples = readdirSync(root).filter((name) => existsSync(join(root, name, "job.json")));

describe("example job specs", () => {
  it("exist for the three examples", () => {
    expect(examples.sort()).toEqual(["leak-rows", "network-probe", "survival-analysis"]);
  });

  it.each(examples)("%s: job.json validates, is pinned to the folder, and has a README", (name) => {
    const folder = join(root, name);
    const spec = parseJobSpec(JSON.parse(readFileSync(join(folder, "job.json"), "utf8")));
    expect(spec.name).toBe(name);
    expect(spec.image.digest).toBe(exampleImageDigest(folder));
    expect(exampleImageFiles(folder).map((f) => f.path)).toContain("main.py");
    expect(spec.command).toEqual(["/usr/bin/python3", "main.py"]);
    expect(jobSpecCommitment(spec)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(readFileSync(join(folder, "README.md"), "utf8")).toContain(name);
  });
});
