/**
 * Collects rule findings for one output file (runs inside the TEE): counts every hit, keeps the first
 * few cells as evidence, and gives the file's verdict.
 */
import type { CellRef, FileVerdict, GateRuleId, RuleFinding } from "@cce4long/protocol/gate/report";
import { GATE_RULES, ruleClass } from "@cce4long/protocol/gate/report";

const MAX_EVIDENCE = 20;

export class Findings {
  readonly #byRule = new Map<GateRuleId, RuleFinding>();

  /** Records one hit of `rule` (creating the finding on its first hit). */
  add(rule: GateRuleId, verdict: "review" | "fail", cell?: CellRef, message?: string): void {
    let finding = this.#byRule.get(rule);
    if (finding === undefined) {
      finding = {
        rule,
        class: ruleClass(rule),
        verdict,
        message: message ?? GATE_RULES[rule],
        count: 0,
        cells: [],
      };
      this.#byRule.set(rule, finding);
    }
    if (verdict === "fail") finding.verdict = "fail";
    finding.count++;
    if (cell !== undefined && finding.cells.length < MAX_EVIDENCE) finding.cells.push(cell);
  }

  /** Records a finding with a known total count and its evidence. */
  addMany(
    rule: GateRuleId,
    verdict: "review" | "fail",
    count: number,
    cells: CellRef[],
    message?: string,
  ): void {
    if (count === 0) return;
    const existing = this.#byRule.get(rule);
    if (existing !== undefined) {
      existing.count += count;
      existing.cells = [...existing.cells, ...cells].slice(0, MAX_EVIDENCE);
      if (verdict === "fail") existing.verdict = "fail";
      return;
    }
    this.#byRule.set(rule, {
      rule,
      class: ruleClass(rule),
      verdict,
      message: message ?? GATE_RULES[rule],
      count,
      cells: cells.slice(0, MAX_EVIDENCE),
    });
  }

  list(): RuleFinding[] {
    return [...this.#byRule.values()];
  }

  verdict(): FileVerdict {
    const all = this.list();
    if (all.some((f) => f.verdict === "fail")) return "fail";
    return all.length > 0 ? "review" : "pass";
  }
}

/** An output's own cell, trimmed for the report. */
export function evidence(row: number, column: string, value: string): CellRef {
  const v = value.trim();
  return { row, column, value: v.length > 60 ? `${v.slice(0, 60)}...` : v };
}
