/**
 * What a Computing Plane VM sends the Output Gate (runs anywhere; built by the boot agent, read by the
 * Privacy Plane): the job's status report and its /output files, as one JSON bundle sealed with HPKE to
 * the gate's X25519 key (purpose GATE_OUTPUT, the dataset id in `info`, the job id as AAD). Also the
 * outputs commitment recorded on-chain with "outputs submitted".
 */
import { type Hex, keccak256, stringToBytes } from "viem";
import { z } from "zod";
import { canonicalJson } from "./canonical-json";

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const OutputFileSchema = z.strictObject({
  /** Relative to /output, "/"-separated. */
  path: z.string().min(1).max(1024),
  sha256: Sha256Hex,
  /** The file's bytes, base64. */
  data: z.string(),
});

/**
 * Agent steps the Privacy Plane gives a meaning to when a job fails at them (the on-chain failure
 * reason): named once here, by the boot agent that reports them and the Privacy Plane that reads them.
 */
export const AGENT_STAGE = {
  /** The lower layer was held to the version manifest (a mismatch: DatasetVersionMismatch). */
  MANIFEST_CHECKED: "manifest-checked",
} as const;

export const JobRunStatusSchema = z.strictObject({
  /** completed: the job's process ran (whatever its exit code); failed: the agent could not run it. */
  outcome: z.enum(["completed", "failed"]),
  exitCode: z.int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  durationMs: z.int().nonnegative(),
  /** For "failed": the agent step that failed and its error code (no detail: the VM's log has it). */
  stage: z.string().max(64).optional(),
  code: z.string().max(64).optional(),
});

export const OutputBundleSchema = z.strictObject({
  version: z.literal(1),
  jobId: z.string().regex(/^0x[0-9a-f]{64}$/),
  status: JobRunStatusSchema,
  files: z.array(OutputFileSchema).max(1000),
  /** The job's last printed lines: the consumer's, but they may hold data, so they travel sealed too. */
  logs: z.strictObject({ stdoutTail: z.string(), stderrTail: z.string() }),
});

export type OutputBundle = z.infer<typeof OutputBundleSchema>;
export type JobRunStatus = z.infer<typeof JobRunStatusSchema>;

/** The HTTP body of POST /v1/jobs/:jobId/outputs: the sealed bundle. */
export const SealedOutputsSchema = z.strictObject({
  gateOutputKeyVersion: z.int().min(1),
  enc: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
  ciphertext: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/),
});
export type SealedOutputs = z.infer<typeof SealedOutputsSchema>;

/** Header carrying the one-job outputs token from the key-release response. */
export const OUTPUTS_TOKEN_HEADER = "x-cce4long-outputs-token";

/**
 * keccak256 of the canonical JSON {jobId, files: [{path, sha256}] sorted by path}: the bytes32 of
 * `recordJobOutputsSubmitted`, so anyone with the files can recompute it.
 */
export function outputsCommitment(jobId: string, files: readonly { path: string; sha256: string }[]): Hex {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return keccak256(
    stringToBytes(canonicalJson({ jobId, files: sorted.map(({ path, sha256 }) => ({ path, sha256 })) })),
  );
}
