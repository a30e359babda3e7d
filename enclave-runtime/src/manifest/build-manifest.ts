/**
 * Assembles the Result Manifest body from the review record and the chain's job record (runs
 * inside the TEE). Pure: the same inputs give the same body, so its hash can be recomputed.
 */
import type { GateReport } from "@cce4long/protocol/gate/report";
import {
  type ManifestOutput,
  RESULT_ENCRYPTION,
  RESULT_MANIFEST_KIND,
  type ResultManifestBody,
  ResultManifestBodySchema,
} from "@cce4long/protocol/manifest/result-manifest";
import type { Address, Hex } from "viem";
import type { OnChainJob } from "../jobs/job-chain";
import type { RecordedDecision } from "../review/record";

export interface ManifestInputs {
  chainId: number;
  hub: Address;
  job: OnChainJob;
  datasetVersionRoot: Hex;
  measurementId: Hex;
  outputsCommitment: Hex;
  outputs: readonly ManifestOutput[];
  gate: GateReport & { checkedAt: string };
  decisions: readonly RecordedDecision[];
  submittedAt: string;
  releasedAt: string;
  signer: Address;
}

export function buildManifestBody(input: ManifestInputs): ResultManifestBody {
  const lower = (h: string) => h.toLowerCase();
  // Parsed through the schema so that a body that could not verify is never signed.
  return ResultManifestBodySchema.parse({
    kind: RESULT_MANIFEST_KIND,
    version: 1,
    chainId: input.chainId,
    hub: input.hub,
    jobId: lower(input.job.jobId),
    datasetId: lower(input.job.datasetId),
    datasetVersion: input.job.datasetVersion,
    datasetVersionRoot: lower(input.datasetVersionRoot),
    consumer: input.job.consumer,
    imageDigest: lower(input.job.imageDigest),
    specCommitment: lower(input.job.specCommitment),
    measurementId: lower(input.measurementId),
    outputsCommitment: lower(input.outputsCommitment),
    encryption: RESULT_ENCRYPTION,
    resultPublicKey: lower(input.job.resultPublicKey),
    outputs: [...input.outputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    gate: {
      decision: input.gate.decision,
      files: input.gate.files.map((f) => ({
        path: f.path,
        verdict: f.verdict,
        rules: f.findings.map((x) => x.rule),
      })),
      setRules: input.gate.setFindings.map((f) => f.rule),
      checkedAt: input.gate.checkedAt,
    },
    reviews: input.decisions.map((d) => ({
      reviewer: d.reviewer,
      decision: d.decision,
      reasonHash: d.reasonHash,
      outputsCommitment: d.outputsCommitment,
      nonce: d.nonce,
      deadline: d.deadline,
      signature: d.signature,
      decidedAt: d.decidedAt,
    })),
    submittedAt: input.submittedAt,
    releasedAt: input.releasedAt,
    signer: input.signer,
  });
}
