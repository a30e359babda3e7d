/**
 * Turns measurements into report rows (ratio, goal met) and renders the table of `npm run bench`.
 */
import type { Measurement } from "./types";

export interface Row {
  benchmark: string;
  name: string;
  value: number;
  unit: string;
  reference: { name: string; value: number; unit: string };
  /** value / reference.value */
  ratio: number;
  goal: string | null;
  goalMet: boolean | null;
  notes: string | null;
}

export function evaluate(benchmark: string, m: Measurement): Row {
  const ratio = m.reference.value === 0 ? Number.NaN : m.value / m.reference.value;
  let goalMet: boolean | null = null;
  if (m.goal) {
    const subject = m.goal.on === "ratio" ? ratio : m.value;
    goalMet = m.goal.op === ">=" ? subject >= m.goal.target : subject <= m.goal.target;
  }
  return {
    benchmark,
    name: m.name,
    value: m.value,
    unit: m.unit,
    reference: m.reference,
    ratio,
    goal: m.goal?.text ?? null,
    goalMet,
    notes: m.notes ?? null,
  };
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(abs >= 1 ? 2 : 3);
}

export function renderTable(rows: readonly Row[]): string {
  const header = ["measurement", "value", "reference", "ref value", "ratio", "goal", "met"];
  const body = rows.map((r) => [
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.reference.name,
    `${fmt(r.reference.value)} ${r.reference.unit}`,
    fmt(r.ratio),
    r.goal ?? "",
    r.goalMet === null ? "" : r.goalMet ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ");
  const notes = rows.filter((r) => r.notes).map((r) => `  ${r.name}: ${r.notes}`);
  return [
    line(header),
    widths.map((w) => "-".repeat(w)).join("-|-"),
    ...body.map(line),
    ...(notes.length > 0 ? ["", "notes:", ...notes] : []),
  ].join("\n");
}
