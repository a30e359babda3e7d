/**
 * Tests of the gate policy and report schemas (runs in Node under vitest).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_GATE_POLICY, gatePolicySchema } from "./policy";
import { GATE_RULES, gateReportSchema, ruleClass } from "./report";

describe("gate policy", () => {
  it("defaults to ACRO's rules", () => {
    expect(DEFAULT_GATE_POLICY).toMatchObject({
      minCellCount: 10,
      zerosDisclosive: true,
      pRatio: 0.1,
      nkRule: { n: 2, k: 0.9 },
      minResidualDf: 10,
      survival: { threshold: 10 },
      rounding: { kind: "none" },
    });
  });

  it("fills defaults inside a partial policy", () => {
    const p = gatePolicySchema.parse({
      rounding: { kind: "multiple_of", base: 5 },
      onFailure: { leakage: "review" },
    });
    expect(p.rounding).toEqual({ kind: "multiple_of", base: 5 });
    expect(p.onFailure).toEqual({
      limits: "reject",
      declaration: "reject",
      disclosure: "review",
      leakage: "review",
    });
  });

  it("error: out-of-range values and unknown keys", () => {
    const bad = [
      { minCellCount: 0 },
      { pRatio: 0 },
      { nkRule: { n: 2, k: 1.5 } },
      { rounding: { kind: "multiple_of", base: 1 } },
      { limits: { maxFiles: 0 } },
      { onFailure: { leakage: "ignore" } },
      { minCellCount: 10, extra: true },
    ];
    for (const policy of bad)
      expect(gatePolicySchema.safeParse(policy).success, JSON.stringify(policy)).toBe(false);
  });
});

describe("gate report", () => {
  it("derives each rule's class from its id", () => {
    for (const rule of Object.keys(GATE_RULES) as (keyof typeof GATE_RULES)[]) {
      expect(["limits", "declaration", "disclosure", "leakage"]).toContain(ruleClass(rule));
    }
  });

  it("error: a report with an unknown rule", () => {
    const finding = {
      rule: "leakage.everything",
      class: "leakage",
      verdict: "fail",
      message: "x",
      count: 1,
      cells: [],
    };
    expect(
      gateReportSchema.safeParse({ decision: "needs-review", files: [], setFindings: [finding] }).success,
    ).toBe(false);
  });
});
