/** The bench report computes ratios and goal verdicts from raw measurements. */
import { describe, expect, it } from "vitest";
import { evaluate, renderTable } from "./report";

const reference = { name: "openssl", value: 200, unit: "MB/s" };

describe("bench report", () => {
  it("computes the ratio to the reference and judges a ratio goal", () => {
    const row = evaluate("x", {
      name: "enc",
      value: 150,
      unit: "MB/s",
      reference,
      goal: { on: "ratio", op: ">=", target: 0.6, text: ">= 60% of openssl" },
    });
    expect(row.ratio).toBeCloseTo(0.75);
    expect(row.goalMet).toBe(true);
  });

  it("judges a value goal that is missed", () => {
    const row = evaluate("x", {
      name: "p99",
      value: 80,
      unit: "ms",
      reference,
      goal: { on: "value", op: "<=", target: 50, text: "p99 <= 50 ms" },
    });
    expect(row.goalMet).toBe(false);
    expect(renderTable([row])).toContain("NO");
  });

  it("leaves the verdict empty when there is no goal", () => {
    expect(evaluate("x", { name: "n", value: 1, unit: "u", reference }).goalMet).toBeNull();
  });
});
