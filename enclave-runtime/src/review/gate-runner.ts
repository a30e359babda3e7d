/**
 * Runs the Output Gate's automated checks for one output set (runs inside the TEE): loads the
 * dataset's policy and fingerprint index through a source, then checkOutputs. When no index can be
 * had, the set is never auto-approved: a "review" finding says a reviewer must look for raw records.
 */
import { DEFAULT_GATE_POLICY, type GatePolicy } from "@cce4long/protocol/gate/policy";
import type { GateReport } from "@cce4long/protocol/gate/report";
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
}

export type GateInputsSource = (datasetId: string, datasetVersion: number) => Promise<GateInputs>;

/** A source that knows no index: every set goes to a reviewer (the safe default until one is wired). */
export const noIndexSource: GateInputsSource = async () => ({
  policy: DEFAULT_GATE_POLICY,
  fingerprints: null,
});

export function createGateRunner(source: GateInputsSource, emptyIndex: () => FingerprintIndex): GateRunner {
  return async (input) => {
    const { policy, fingerprints } = await source(input.datasetId, input.datasetVersion);
    const report = await checkOutputs({
      files: input.files,
      declared: input.declared,
      policy,
      fingerprints: fingerprints ?? emptyIndex(),
    });
    if (fingerprints !== null || report.decision === "rejected-by-rules") return report;
    return {
      ...report,
      decision: "needs-review",
      setFindings: [
        ...report.setFindings,
        {
          rule: "leakage.dataset_rows",
          class: "leakage",
          verdict: "review",
          message: "No fingerprint index for this dataset version: a reviewer must check for raw records",
          count: 0,
          cells: [],
        },
      ],
    };
  };
}
