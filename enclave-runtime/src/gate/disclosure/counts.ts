/**
 * The count rules shared by frequency tables and summary statistics (runs inside the TEE): minimum
 * cell count, zeros, rounding, and the job's own suppression (ACRO's threshold rule).
 */
import type { GatePolicy } from "@cce4long/protocol/gate/policy";
import { evidence, type Findings } from "../findings";
import { columnIndex, type Table } from "../parse/table";

/** Checks every cell of `column`; returns how many cells the job suppressed. */
export function checkCountColumn(
  table: Table,
  column: string,
  suppressionMarker: string,
  policy: GatePolicy,
  findings: Findings,
): number {
  const c = columnIndex(table, column);
  if (c < 0) {
    findings.add("declaration.column_missing", "fail", undefined, `column "${column}" is not in the file`);
    return 0;
  }
  let suppressed = 0;
  table.rows.forEach((row, r) => {
    const raw = (row[c] ?? "").trim();
    if (raw === suppressionMarker.trim() || raw === "") {
      suppressed++;
      return;
    }
    const n = Number(raw);
    const cell = evidence(r, column, raw);
    if (!Number.isInteger(n) || n < 0) {
      findings.add(
        "declaration.format_mismatch",
        "fail",
        cell,
        `"${column}" holds something that is not a count`,
      );
      return;
    }
    if (n === 0) {
      if (policy.zerosDisclosive) findings.add("disclosure.zero_cell", "fail", cell);
      return;
    }
    if (n < policy.minCellCount) {
      findings.add(
        "disclosure.small_cell",
        "fail",
        cell,
        `a count is below the minimum cell count ${policy.minCellCount}`,
      );
    }
    if (policy.rounding.kind === "multiple_of" && n % policy.rounding.base !== 0) {
      findings.add(
        "disclosure.not_rounded",
        "fail",
        cell,
        `counts must be multiples of ${policy.rounding.base}`,
      );
    }
  });
  if (table.rows.length > 0 && suppressed / table.rows.length > policy.maxSuppressedShare) {
    findings.add(
      "disclosure.suppressed_share",
      "review",
      undefined,
      `${suppressed} of ${table.rows.length} cells suppressed`,
    );
  }
  return suppressed;
}
