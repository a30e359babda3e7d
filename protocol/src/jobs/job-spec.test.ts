/**
 * Tests of the job spec schema, its canonical form and its on-chain commitment (runs in Node under vitest).
 */
import { keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";
import {
  canonicalJobSpec,
  imageDigestBytes32,
  type JobSpecInput,
  jobSpecCommitment,
  jobSpecSchema,
  parseJobSpec,
} from "./job-spec";

// biome-ignore lint/suspicious/noExplicitAny: the tests poke at arbitrary fields of a JSON spec to break it.
type Loose = Record<string, any>;

const DIGEST = `sha256:${"ab".repeat(32)}`;

function validSpec(): JobSpecInput {
  return {
    apiVersion: "cce4long.dev/job/v1",
    name: "survival-analysis",
    image: { digest: DIGEST },
    command: ["/usr/bin/python3", "main.py"],
    parameters: { COHORT_FILE: "cohort.csv" },
    outputs: [
      {
        kind: "survival_table",
        path: "km.csv",
        description: "Kaplan-Meier by age band",
        format: "csv",
        timeColumn: "time_years",
        atRiskColumn: "n_at_risk",
        eventsColumn: "n_events",
        groupColumns: ["age_band"],
      },
      {
        kind: "regression",
        path: "cox.json",
        description: "Cox model",
        format: "json",
        model: "cox",
        residualDfField: "df_residual",
        coefficientsField: "coefficients",
      },
      {
        kind: "frequency_table",
        path: "counts.csv",
        description: "participants by sex",
        format: "csv",
        countColumn: "n",
        dimensionColumns: ["sex"],
      },
      {
        kind: "summary_statistics",
        path: "summary.csv",
        description: "means",
        format: "csv",
        countColumn: "n",
        statistics: [{ column: "mean", statistic: "mean" }],
      },
      { kind: "figure", path: "km.png", description: "curves", format: "png", sourceTables: ["km.csv"] },
      { kind: "model_weights", path: "w.npy", description: "weights", format: "npy", parameterCount: 10 },
      { kind: "free_text", path: "notes/readme.md", description: "notes", format: "md" },
    ],
  };
}

/** Applies a change to a fresh valid spec and returns the validation messages. */
function issuesOf(change: (spec: Loose) => void): string {
  const spec = validSpec() as Loose;
  change(spec);
  const result = jobSpecSchema.safeParse(spec);
  expect(result.success).toBe(false);
  return JSON.stringify(result.error?.issues);
}

describe("a valid spec", () => {
  it("parses, with defaults filled in", () => {
    const spec = parseJobSpec(validSpec());
    expect(spec.workingDir).toBe("/job");
    expect(spec.resources).toEqual({
      cpus: 1,
      memoryMiB: 2048,
      timeoutSeconds: 1800,
      maxOutputBytes: 104857600,
    });
    const km = spec.outputs[0]!;
    expect(km.kind === "survival_table" && km.eventsAreCumulative).toBe(false);
    expect(km.kind === "survival_table" && km.suppressionMarker).toBe("");
  });

  it("covers every output kind", () => {
    const kinds = parseJobSpec(validSpec()).outputs.map((o) => o.kind);
    expect(new Set(kinds)).toEqual(
      new Set([
        "survival_table",
        "regression",
        "frequency_table",
        "summary_statistics",
        "figure",
        "model_weights",
        "free_text",
      ]),
    );
  });
});

describe("commitment", () => {
  it("is keccak256 of the canonical JSON of the parsed spec", () => {
    const canonical = canonicalJobSpec(validSpec());
    expect(jobSpecCommitment(validSpec())).toBe(keccak256(stringToBytes(canonical)));
    expect(jobSpecCommitment(validSpec())).toMatch(/^0x[0-9a-f]{64}$/);
    expect(canonical.startsWith('{"apiVersion":"cce4long.dev/job/v1","command":')).toBe(true);
  });

  it("does not depend on key order or on spelling out defaults", () => {
    const spec = validSpec();
    const reordered = Object.fromEntries(Object.entries(spec).reverse());
    const explicit = { ...spec, workingDir: "/job", resources: { cpus: 1 } };
    expect(jobSpecCommitment(reordered)).toBe(jobSpecCommitment(spec));
    expect(jobSpecCommitment(explicit)).toBe(jobSpecCommitment(spec));
  });

  it("changes when anything that runs or is released changes", () => {
    const base = jobSpecCommitment(validSpec());
    const changes: ((s: Loose) => void)[] = [
      (s) => (s.image.digest = `sha256:${"cd".repeat(32)}`),
      (s) => s.command.push("--extra"),
      (s) => (s.parameters.COHORT_FILE = "other.csv"),
      (s) => (s.resources = { timeoutSeconds: 60 }),
      (s) => (s.outputs[0].atRiskColumn = "at_risk"),
    ];
    for (const change of changes) {
      const spec = validSpec() as Loose;
      change(spec);
      expect(jobSpecCommitment(spec)).not.toBe(base);
    }
  });

  it("error: refuses to commit to an invalid spec", () => {
    expect(() => jobSpecCommitment({ ...validSpec(), command: [] })).toThrow(/invalid job spec: command/);
  });
});

describe("validation failures", () => {
  it("error: image digest that is not sha256 + 64 lowercase hex", () => {
    for (const digest of [
      "sha256:ABC",
      `sha512:${"a".repeat(64)}`,
      "a".repeat(64),
      `sha256:${"A".repeat(64)}`,
    ]) {
      expect(issuesOf((s) => (s.image.digest = digest))).toContain("image digest must be");
    }
  });

  it("error: unknown keys anywhere (nothing unhashed may ride along)", () => {
    expect(issuesOf((s) => (s.extra = 1))).toContain("unrecognized_keys");
    expect(issuesOf((s) => (s.image.tag = "latest"))).toContain("unrecognized_keys");
    expect(issuesOf((s) => (s.outputs[0].note = "x"))).toContain("unrecognized_keys");
  });

  it("error: wrong apiVersion, bad name, empty command", () => {
    expect(issuesOf((s) => (s.apiVersion = "v2"))).toContain("apiVersion");
    expect(issuesOf((s) => (s.name = "Has Spaces"))).toContain("lowercase slug");
    expect(issuesOf((s) => (s.command = []))).toContain("command");
  });

  it("error: reserved or malformed parameter names", () => {
    for (const name of ["CCE4LONG_DATA_DIR", "LD_PRELOAD", "PATH", "PYTHONPATH"]) {
      expect(issuesOf((s) => (s.parameters = { [name]: "x" }))).toContain("reserved");
    }
    expect(issuesOf((s) => (s.parameters = { lower: "x" }))).toContain("UPPER_SNAKE_CASE");
  });

  it("error: resources out of range or fractional", () => {
    expect(issuesOf((s) => (s.resources = { cpus: 0 }))).toContain("cpus");
    expect(issuesOf((s) => (s.resources = { memoryMiB: 1.5 }))).toContain("memoryMiB");
    expect(issuesOf((s) => (s.resources = { timeoutSeconds: 100_000 }))).toContain("timeoutSeconds");
  });

  it("error: no outputs, unknown kind, duplicate paths", () => {
    expect(issuesOf((s) => (s.outputs = []))).toContain("outputs");
    expect(issuesOf((s) => (s.outputs[0].kind = "raw_rows"))).toContain("kind");
    expect(issuesOf((s) => (s.outputs[1].path = "km.csv"))).toMatch(/path must end in .json|declared twice/);
    expect(issuesOf((s) => s.outputs.push({ ...s.outputs[0] }))).toContain("declared twice");
  });

  it("error: output paths that escape /output or do not match their format", () => {
    for (const path of [
      "/etc/passwd",
      "../x.csv",
      "a/../../x.csv",
      "a/./x.csv",
      ".hidden.csv",
      "a b.csv",
      "a/b/c/d/e.csv",
    ]) {
      expect(issuesOf((s) => (s.outputs[0].path = path))).toContain("path");
    }
    expect(issuesOf((s) => (s.outputs[0].path = "km.txt"))).toContain("path must end in .csv");
  });

  it("error: a kind without the fields the gate needs", () => {
    expect(issuesOf((s) => delete s.outputs[0].atRiskColumn)).toContain("atRiskColumn");
    expect(issuesOf((s) => delete s.outputs[1].residualDfField)).toContain("residualDfField");
    expect(issuesOf((s) => delete s.outputs[2].countColumn)).toContain("countColumn");
    expect(issuesOf((s) => (s.outputs[2].dimensionColumns = []))).toContain("dimensionColumns");
    expect(issuesOf((s) => (s.outputs[3].statistics = [{ column: "x", statistic: "mode" }]))).toContain(
      "statistic",
    );
  });

  it("error: a column named twice, or a figure whose source table is not declared", () => {
    expect(issuesOf((s) => (s.outputs[0].eventsColumn = "n_at_risk"))).toContain("named twice");
    expect(issuesOf((s) => (s.outputs[4].sourceTables = ["missing.csv"]))).toContain("not a declared output");
  });

  it("error: parseJobSpec throws a typed error naming the field", () => {
    expect(() => parseJobSpec({ ...validSpec(), image: {} })).toThrow(
      expect.objectContaining({
        code: "VALIDATION_FAILED",
        message: expect.stringContaining("image.digest"),
      }),
    );
    expect(() => parseJobSpec("not an object")).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});

describe("imageDigestBytes32", () => {
  it("is the digest's 32 bytes as 0x-hex", () => {
    expect(imageDigestBytes32(DIGEST)).toBe(`0x${"ab".repeat(32)}`);
  });
  it("error: refuses a malformed digest", () => {
    expect(() => imageDigestBytes32("sha256:zz")).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});

describe("canonicalJson", () => {
  it("sorts keys by code unit, drops undefined, has no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: undefined, A: { z: 1, y: 2 } })).toBe(
      '{"A":{"y":2,"z":1},"a":[true,null,"x"],"b":1}',
    );
  });
  it("formats numbers and strings as RFC 8785 does", () => {
    expect(canonicalJson({ n: [1e21, 0.1, -0, 1.5e-7], s: "\u2028é\n" })).toBe(
      '{"n":[1e+21,0.1,0,1.5e-7],"s":"\u2028é\\n"}',
    );
  });
  it("error: NaN, Infinity, bigint, Date", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1n, new Date(0)]) {
      expect(() => canonicalJson({ x: bad })).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    }
  });
});
