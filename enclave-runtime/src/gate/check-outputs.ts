/**
 * The Output Gate's automated checks (runs inside the TEE, on plaintext outputs in its memory):
 * limits, declarations, disclosure rules and raw-record leakage, giving a verdict per file and one
 * decision for the set. Pure and deterministic: same outputs, policy and index, same report.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { GatePolicy } from "@cce4long/protocol/gate/policy";
import type { FileReport, GateDecision, GateReport, RuleFinding } from "@cce4long/protocol/gate/report";
import type { DeclaredOutput } from "@cce4long/protocol/jobs/declared-outputs";
import { copiedRowsFound } from "./copied-rows";
import {
  checkFrequencyTable,
  checkRegression,
  checkSummaryStatistics,
  checkSurvivalTable,
  type TableCheck,
} from "./disclosure/tables";
import { Findings } from "./findings";
import type { FingerprintIndex } from "./fingerprints/fingerprint-index";
import { type LeakageScan, type ScanTable, scanForLeakage } from "./fingerprints/scan";
import { type CsvScanOptions, scanCsv } from "./parallel-scan/scan-csv";
import { decodeText, expectedContent, sniffContent } from "./parse/content-type";
import { parseCsv } from "./parse/csv";
import type { CsvScan } from "./parse/csv-scan";
import { jsonToTable } from "./parse/json";
import { parseParquet } from "./parse/parquet";
import type { Table } from "./parse/table";
import { textToScanTable } from "./parse/text";

export interface OutputFile {
  /** Relative to /output, as declared. */
  path: string;
  bytes: Uint8Array;
}

export interface CheckOutputsInput {
  files: readonly OutputFile[];
  declared: readonly DeclaredOutput[];
  policy: GatePolicy;
  fingerprints: FingerprintIndex;
  /** How large CSV outputs are scanned on worker threads (defaults: parallel-scan/scan-csv.ts). */
  scan?: CsvScanOptions;
}

/** Extensions the gate reads at all; anything else is refused before it is parsed. */
export const ALLOWED_EXTENSIONS = [
  "csv",
  "json",
  "parquet",
  "txt",
  "md",
  "png",
  "jpg",
  "jpeg",
  "svg",
  "pdf",
  "safetensors",
  "npy",
  "npz",
  "onnx",
  "bin",
] as const;

/** Declared kinds whose disclosure rules read the parsed table. */
const TABLE_KINDS: ReadonlySet<string> = new Set([
  "frequency_table",
  "summary_statistics",
  "survival_table",
  "regression",
]);

export async function checkOutputs(input: CheckOutputsInput): Promise<GateReport> {
  const { policy } = input;
  const setFindings = new Findings();
  const declaredByPath = new Map(input.declared.map((d) => [d.path, d]));
  const produced = new Set(input.files.map((f) => f.path));
  for (const d of input.declared) {
    if (!produced.has(d.path)) setFindings.add("declaration.not_produced", "fail", { row: 0, value: d.path });
  }
  if (input.files.length > policy.limits.maxFiles) {
    setFindings.add(
      "limits.too_many_files",
      "fail",
      undefined,
      `${input.files.length} files, at most ${policy.limits.maxFiles}`,
    );
  }
  const total = input.files.reduce((sum, f) => sum + f.bytes.length, 0);
  if (total > policy.limits.maxTotalBytes) {
    setFindings.add(
      "limits.total_too_large",
      "fail",
      undefined,
      `${total} bytes, at most ${policy.limits.maxTotalBytes}`,
    );
  }
  const files: FileReport[] = [];
  for (const [i, file] of input.files.entries()) {
    if (i >= policy.limits.maxFiles) {
      files.push(
        report(file, null, oneFinding("limits.too_many_files"), { suppressedCells: 0, withheldColumns: [] }),
      );
      continue;
    }
    files.push(await checkFile(file, declaredByPath.get(file.path) ?? null, input));
  }
  return { decision: decide(files, setFindings.list(), policy), files, setFindings: setFindings.list() };
}

function oneFinding(rule: Parameters<Findings["add"]>[0]): Findings {
  const f = new Findings();
  f.add(rule, "fail");
  return f;
}

function report(
  file: OutputFile,
  declared: DeclaredOutput | null,
  findings: Findings,
  check: TableCheck,
): FileReport {
  return {
    path: file.path,
    bytes: file.bytes.length,
    kind: declared?.kind ?? null,
    verdict: findings.verdict(),
    findings: findings.list(),
    suppressedCells: check.suppressedCells,
    withheldColumns: check.withheldColumns,
  };
}

async function checkFile(
  file: OutputFile,
  declared: DeclaredOutput | null,
  input: CheckOutputsInput,
): Promise<FileReport> {
  const { policy } = input;
  const findings = new Findings();
  const none: TableCheck = { suppressedCells: 0, withheldColumns: [] };
  const extension = file.path.slice(file.path.lastIndexOf(".") + 1).toLowerCase();
  if (!(ALLOWED_EXTENSIONS as readonly string[]).includes(extension) || file.path.lastIndexOf(".") < 0) {
    findings.add(
      "limits.type_not_allowed",
      "fail",
      undefined,
      `files ending in .${extension} are not accepted`,
    );
    return report(file, declared, findings, none);
  }
  if (file.bytes.length > policy.limits.maxFileBytes) {
    findings.add(
      "limits.file_too_large",
      "fail",
      undefined,
      `${file.bytes.length} bytes, at most ${policy.limits.maxFileBytes}`,
    );
    return report(file, declared, findings, none);
  }
  const content = sniffContent(file.bytes);
  if (declared === null) findings.add("declaration.missing", "fail");
  const format = declared?.format ?? extension;
  const expected = expectedContent(format);
  if (expected !== "any" && expected !== content) {
    findings.add(
      "declaration.format_mismatch",
      "fail",
      undefined,
      `declared ${format}, content is ${content}`,
    );
  }
  // Images and binaries: a reviewer looks at them; text inside SVG is still scanned.
  if (content === "png" || content === "jpg" || content === "pdf" || content === "svg") {
    findings.add("disclosure.image", "review");
    if (content === "svg") scan(textToScanTable(decodeText(file.bytes) ?? ""), input, findings);
    return report(file, declared, findings, none);
  }
  if (content === "binary") {
    findings.add("disclosure.binary", "review");
    return report(file, declared, findings, none);
  }
  let table: Table | null = null;
  let document: unknown;
  let text: string | null = null;
  let csv: CsvScan | null = null;
  try {
    if (content === "parquet") table = await parseParquet(file.bytes);
    else if (format === "csv") {
      // Scanned from the bytes; parsed into strings only when a disclosure rule reads the table.
      csv = await scanCsv(input.fingerprints, file.bytes, input.scan);
      if (declared !== null && TABLE_KINDS.has(declared.kind)) table = parseCsv(decodeText(file.bytes) ?? "");
    } else {
      text = decodeText(file.bytes) ?? "";
      if (format === "json") {
        document = JSON.parse(text);
        table = jsonToTable(document);
      }
    }
  } catch (error) {
    // A scan that could not run (a worker failed) is no verdict on the file: the whole run fails.
    if (error instanceof Cce4longError && error.code === "GATE_SCAN_FAILED") throw error;
    findings.add("declaration.format_mismatch", "fail", undefined, `the file does not parse as ${format}`);
  }
  let check = none;
  if (declared !== null && table !== null && findings.verdict() !== "fail") {
    check = checkDeclared(table, document, declared, policy, findings);
  }
  if (declared?.kind === "model_weights") findings.add("disclosure.binary", "review");
  if (declared?.kind === "free_text" && policy.freeTextNeedsReview)
    findings.add("disclosure.free_text", "review");
  if (declared?.kind === "figure") findings.add("disclosure.image", "review");
  // Leakage: the table with its header, or the text line by line.
  if (csv !== null) {
    addLeakage(csv.scan, input, findings);
    scan({ rows: [csv.header] }, input, findings, true);
  } else if (table !== null) {
    scan({ header: table.header, rows: table.rows }, input, findings);
    scan({ rows: [table.header] }, input, findings, true);
  } else if (text !== null) {
    scan(textToScanTable(text), input, findings);
  }
  return report(file, declared, findings, check);
}

function checkDeclared(
  table: Table,
  document: unknown,
  declared: DeclaredOutput,
  policy: GatePolicy,
  findings: Findings,
): TableCheck {
  switch (declared.kind) {
    case "frequency_table":
      return checkFrequencyTable(table, declared, policy, findings);
    case "summary_statistics":
      return checkSummaryStatistics(table, declared, policy, findings);
    case "survival_table":
      return checkSurvivalTable(table, declared, policy, findings);
    case "regression":
      return checkRegression(
        declared.format === "json" ? { document } : { table },
        declared,
        policy,
        findings,
      );
    default:
      return { suppressedCells: 0, withheldColumns: [] };
  }
}

function scan(table: ScanTable, input: CheckOutputsInput, findings: Findings, header = false): void {
  addLeakage(scanForLeakage(input.fingerprints, table), input, findings, header);
}

function addLeakage(found: LeakageScan, input: CheckOutputsInput, findings: Findings, header = false): void {
  const { leakage } = input.policy;
  const where = header
    ? found.identifierCells.cells.map((c) => ({ ...c, column: "(header)" }))
    : found.identifierCells.cells;
  if (leakage.identifiers) findings.addMany("leakage.identifier", "fail", found.identifierCells.count, where);
  if (leakage.rareCombinations) {
    findings.addMany(
      "leakage.rare_combination",
      "fail",
      found.rareComboRows.count,
      found.rareComboRows.cells,
    );
  }
  if (copiedRowsFound(found, leakage.minMatchedRows)) {
    findings.addMany(
      "leakage.dataset_rows",
      "fail",
      found.matchedRows.count,
      found.matchedRows.cells,
      `${found.matchedRows.count} rows match rows of the dataset`,
    );
  }
}

function decide(
  files: readonly FileReport[],
  setFindings: readonly RuleFinding[],
  policy: GatePolicy,
): GateDecision {
  const all = [...setFindings, ...files.flatMap((f) => f.findings)];
  if (all.some((f) => f.verdict === "fail" && policy.onFailure[f.class] === "reject"))
    return "rejected-by-rules";
  return all.length > 0 ? "needs-review" : "auto-approved";
}
