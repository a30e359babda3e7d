/**
 * Runs the Output Gate's automated checks for one output set (runs inside the TEE): loads the
 * dataset's policy and fingerprint index through a source, then checkOutputs. When no index can be
 * had, the set is never auto-approved: a "review" finding says a reviewer must look for raw records.
 * Nor when the store did not show the newest gate policy the Privacy Plane accepted (a rollback).
 */
import { DEFAULT_GATE_POLICY, type GatePolicy } from "@cce4long/protocol/gate/policy";
import { type GateReport, type GateRuleId, ruleClass } from "@cce4long/protocol/gate/report";
import type { DeclaredOutput } from "@cce4long/protocol/jobs/declared-outputs";
import { checkOutputs, type OutputFile } from "../gate/check-outputs";
import type { FingerprintIndex } from "../gate/fingerprints/fingerprint-index";

export interface GateInput {
  jobId: string;
  datasetId: string;
  datasetVersion: number;
  files: readonly OutputFile[];
  declared: readonly DeclaredOutput[];
}

export type GateRunner = (input: GateInput) => Promise<GateReport>;

export interface GateInputs {
  policy: GatePolicy;
  /** Null when the version has no index (or it could not be loaded). */
  fingerprints: FingerprintIndex | null;
  /** True when the store did not show the newest accepted gate policy (policies/dataset-policies.ts). */
  policyRolledBack?: boolean;
}

export type GateInputsSource = (datasetId: string, datasetVersion: number) => Promise<GateInputs>;

/** A source that knows no index: every set goes to a reviewer (the safe default until one is wired). */
export const noIndexSource: GateInputsSource = async () => ({
  policy: DEFAULT_GATE_POLICY,
  fingerprints: null,
});

export function createGateRunner(source: GateInputsSource, emptyIndex: () => FingerprintIndex): GateRunner {
  return async (input) => {
    const { policy, fingerprints, policyRolledBack } = await source(input.datasetId, input.datasetVersion);
    let report = await checkOutputs({
      files: input.files,
      declared: input.declared,
      policy,
      fingerprints: fingerprints ?? emptyIndex(),
    });
    if (fingerprints === null) {
      report = holdForReview(
        report,
        "leakage.dataset_rows",
        "No fingerprint index for this dataset version: a reviewer must check for raw records",
      );
    }
    return policyRolledBack === true
      ? holdForReview(report, "limits.policy_rolled_back", POLICY_ROLLED_BACK)
      : report;
  };
}

export const POLICY_ROLLED_BACK =
  "The policy store did not show the newest gate policy accepted for this dataset (gone or rolled back): " +
  "the remembered one was applied, and a reviewer must decide";

/** Never auto-approves: an approval becomes needs-review with a finding saying why. Rejections stand. */
export function holdForReview(report: GateReport, rule: GateRuleId, message: string): GateReport {
  if (report.decision === "rejected-by-rules") return report;
  return {
    ...report,
    decision: "needs-review",
    setFindings: [
      ...report.setFindings,
      { rule, class: ruleClass(rule), verdict: "review", message, count: 0, cells: [] },
    ],
  };
}
