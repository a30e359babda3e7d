/**
 * The Output Gate's report (runs anywhere): a verdict per output file with the rules that fired and
 * their evidence, and one decision for the set. Reviewers and the API read it; it holds only what the
 * outputs themselves contain (cell positions and values of the output), never dataset rows.
 */
import { z } from "zod";
import { RULE_CLASSES } from "./policy";

export const FILE_VERDICTS = ["pass", "review", "fail"] as const;
export type FileVerdict = (typeof FILE_VERDICTS)[number];

/** The set's automated decision; the review state machine starts from it. */
export const GATE_DECISIONS = ["auto-approved", "needs-review", "rejected-by-rules"] as const;
export type GateDecision = (typeof GATE_DECISIONS)[number];

/** Every rule the gate applies; the prefix before the first dot is its class (policy.ts). */
export const GATE_RULES = {
  "limits.too_many_files": "More output files than the policy allows",
  "limits.file_too_large": "An output file is larger than the policy allows",
  "limits.total_too_large": "The output set is larger than the policy allows",
  "limits.type_not_allowed": "The file's type is not one the gate accepts",
  "limits.policy_rolled_back":
    "The policy store did not show the newest gate policy accepted for the dataset: a reviewer decides",
  "declaration.missing": "The file was not declared by the job",
  "declaration.not_produced": "A declared output was not produced",
  "declaration.format_mismatch": "The file's content does not match its declared format",
  "declaration.column_missing": "A column named in the declaration is not in the file",
  "disclosure.small_cell": "A count is below the minimum cell count",
  "disclosure.zero_cell": "A count is zero and zeros are disclosive",
  "disclosure.not_rounded": "A count is not a multiple of the rounding base",
  "disclosure.suppressed_share": "Too many cells are suppressed to judge the table",
  "disclosure.nk_dominance": "The largest contributors make most of a total (nk rule)",
  "disclosure.p_ratio": "The remainder of a total is too small next to its largest contributor (p-ratio)",
  "disclosure.dominance_unverifiable": "A sum was declared without its largest contributions",
  "disclosure.extreme_value": "A minimum or maximum is one person's value",
  "disclosure.low_residual_df": "A regression has too few residual degrees of freedom",
  "disclosure.residual_df_missing": "The declared residual degrees of freedom are not in the file",
  "disclosure.survival_at_risk": "A survival table has too few people at risk",
  "disclosure.survival_events": "A survival table interval has too few events",
  "disclosure.image": "Images are checked by a reviewer",
  "disclosure.binary": "Binary outputs (model weights) are checked by a reviewer",
  "disclosure.free_text": "Free text is checked by a reviewer",
  "leakage.identifier": "The file contains direct-identifier values of the dataset",
  "leakage.rare_combination": "The file contains a rare combination of quasi-identifiers of the dataset",
  "leakage.dataset_rows": "The file contains rows of the dataset",
} as const;
export type GateRuleId = keyof typeof GATE_RULES;
const RULE_IDS = Object.keys(GATE_RULES) as [GateRuleId, ...GateRuleId[]];

/** Where in the output a finding is: a row (0-based, data rows) and a column name, or a line of text. */
export const cellRefSchema = z
  .object({
    row: z.number().int().min(0),
    column: z.string().optional(),
    /** The value as the output shows it (already in the output, so no new disclosure). */
    value: z.string().max(200).optional(),
  })
  .strict();
export type CellRef = z.infer<typeof cellRefSchema>;

export const ruleFindingSchema = z
  .object({
    rule: z.enum(RULE_IDS),
    class: z.enum(RULE_CLASSES),
    verdict: z.enum(["review", "fail"]),
    message: z.string().max(500),
    /** How many cells or rows triggered the rule (cells lists at most the first few). */
    count: z.number().int().min(0),
    cells: z.array(cellRefSchema).max(20),
  })
  .strict();
export type RuleFinding = z.infer<typeof ruleFindingSchema>;

export const fileReportSchema = z
  .object({
    path: z.string(),
    bytes: z.number().int().min(0),
    /** The declared kind, or null for an undeclared file. */
    kind: z.string().nullable(),
    verdict: z.enum(FILE_VERDICTS),
    findings: z.array(ruleFindingSchema),
    /** Cells the job itself suppressed (ACRO's suppression reporting). */
    suppressedCells: z.number().int().min(0),
    /** Columns that are checking evidence only (largest contributions): the release must drop them. */
    withheldColumns: z.array(z.string()),
  })
  .strict();
export type FileReport = z.infer<typeof fileReportSchema>;

export const gateReportSchema = z
  .object({
    decision: z.enum(GATE_DECISIONS),
    files: z.array(fileReportSchema),
    /** Findings about the set rather than one file (too many files, a declared file missing). */
    setFindings: z.array(ruleFindingSchema),
  })
  .strict();
export type GateReport = z.infer<typeof gateReportSchema>;

/** The class of a rule id. */
export function ruleClass(rule: GateRuleId): (typeof RULE_CLASSES)[number] {
  return rule.slice(0, rule.indexOf(".")) as (typeof RULE_CLASSES)[number];
}
