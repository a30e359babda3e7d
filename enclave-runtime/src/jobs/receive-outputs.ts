/**
 * Receives a job VM's sealed outputs and status report (runs inside the TEE): authenticates the VM
 * (our credential for this job + the one-job outputs token handed out with its key), opens the HPKE
 * bundle with the Output Gate's key, checks every file hash, records "outputs submitted" (or the job's
 * failure) on-chain, hands the files to the gate's inbox, and tears the VM down.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { Cce4longError, JobFailureReason } from "@cce4long/protocol";
import {
  AGENT_STAGE,
  type JobRunStatus,
  type OutputBundle,
  OutputBundleSchema,
  outputsCommitment,
  type SealedOutputs,
} from "@cce4long/protocol/jobs/output-bundle";
import { hpkeOpen } from "@cce4long/sealing/hpke";
import type { X25519KeyPair } from "@cce4long/sealing/keys/types";
import { type Address, type Hex, hexToBytes, keccak256 } from "viem";
import type { CredentialDomain } from "../credentials/job-credential";
import { verifyJobCredential } from "../credentials/verify-credential";
import type { JobTracker } from "../dispatch/job-tracker";
import type { JobChain } from "./job-chain";
import type { OutputInbox } from "./output-inbox";

export interface ReceiveOutputsDeps {
  credentialDomain: CredentialDomain;
  credentialIssuer: Address;
  tracker: JobTracker;
  chain: Pick<JobChain, "recordOutputsSubmitted">;
  inbox: OutputInbox;
  gateOutputKeyPair(version: number): Promise<X25519KeyPair>;
  log(event: string, fields: Record<string, unknown>): void;
}

export interface ReceiveOutputsRequest {
  jobId: Hex;
  credential: string;
  outputsToken: string;
  sealed: SealedOutputs;
}

export async function receiveOutputs(
  request: ReceiveOutputsRequest,
  deps: ReceiveOutputsDeps,
): Promise<{ recorded: "outputs-submitted" | "failed"; outputsCommitment?: Hex }> {
  const tracked = await authenticate(request, deps);
  const bundle = await openBundle(request, tracked.claims.datasetId, deps);
  const files = bundle.files.map((file) => {
    const bytes = new Uint8Array(Buffer.from(file.data, "base64"));
    if (createHash("sha256").update(bytes).digest("hex") !== file.sha256) {
      throw new Cce4longError("VALIDATION_FAILED", "An output file does not match its hash", {
        detail: { jobId: request.jobId, path: file.path },
      });
    }
    return { path: file.path, sha256: file.sha256, bytes };
  });
  const status = bundle.status;
  deps.log("job.outputs-received", {
    jobId: request.jobId,
    outcome: status.outcome,
    exitCode: status.exitCode,
    timedOut: status.timedOut,
    stage: status.stage,
    code: status.code,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.bytes.length, 0),
  });
  if (status.outcome !== "completed" || status.exitCode !== 0 || status.timedOut) {
    const reason = failureReasonOf(status);
    for (const file of files) file.bytes.fill(0);
    await deps.tracker.fail(request.jobId, reason, `job ${status.outcome}, exit ${status.exitCode}`);
    return { recorded: "failed" };
  }
  const commitment = outputsCommitment(request.jobId, files);
  await deps.chain.recordOutputsSubmitted(request.jobId, commitment);
  deps.inbox.put({
    jobId: request.jobId,
    datasetId: tracked.claims.datasetId,
    measurementId: tracked.measurementId,
    spec: tracked.spec,
    files,
    outputsCommitment: commitment,
    receivedAt: new Date(),
  });
  await deps.tracker.finish(request.jobId);
  return { recorded: "outputs-submitted", outputsCommitment: commitment };
}

async function authenticate(request: ReceiveOutputsRequest, deps: ReceiveOutputsDeps) {
  const refuse = (problem: string, cause?: unknown) =>
    new Cce4longError("AUTH_INVALID", "Authentication failed", {
      cause,
      detail: { jobId: request.jobId, problem },
    });
  let claims: Awaited<ReturnType<typeof verifyJobCredential>>;
  try {
    // Expiry is not checked: the credential's window bounds the key request, the job may run longer.
    claims = await verifyJobCredential({
      credential: request.credential,
      domain: deps.credentialDomain,
      issuer: deps.credentialIssuer,
    });
  } catch (cause) {
    throw refuse("credential invalid", cause);
  }
  if (claims.jobId !== request.jobId.toLowerCase()) throw refuse("credential of another job");
  const tracked = deps.tracker.get(request.jobId);
  if (tracked?.phase !== "key-released" || !tracked.outputsTokenHash || !tracked.claims) {
    throw refuse(`job not waiting for outputs (${tracked?.phase ?? "untracked"})`);
  }
  if (tracked.claims.nonce !== claims.nonce) throw refuse("credential is not the one the key went to");
  // Compared as hashes (fixed length) in constant time: the token is a bearer secret.
  const valid = /^[A-Za-z0-9_-]{43}$/.test(request.outputsToken);
  const presented = hexToBytes(
    keccak256(valid ? Buffer.from(request.outputsToken, "base64url") : new Uint8Array(1)),
  );
  if (!timingSafeEqual(presented, hexToBytes(tracked.outputsTokenHash)))
    throw refuse("outputs token mismatch");
  return { ...tracked, claims: tracked.claims };
}

async function openBundle(
  request: ReceiveOutputsRequest,
  datasetId: string,
  deps: ReceiveOutputsDeps,
): Promise<OutputBundle> {
  const keyPair = await deps.gateOutputKeyPair(request.sealed.gateOutputKeyVersion);
  let plaintext: Uint8Array;
  try {
    plaintext = await hpkeOpen({
      recipientPrivateKey: keyPair.privateKey,
      context: { purpose: "GATE_OUTPUT", datasetId },
      sealed: {
        enc: new Uint8Array(Buffer.from(request.sealed.enc, "base64")),
        ciphertext: new Uint8Array(Buffer.from(request.sealed.ciphertext, "base64")),
      },
      aad: new TextEncoder().encode(request.jobId.toLowerCase()),
    });
  } finally {
    keyPair.wipe();
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(plaintext).toString("utf8"));
  } catch (cause) {
    throw new Cce4longError("VALIDATION_FAILED", "Output bundle is not JSON", { cause });
  } finally {
    plaintext.fill(0);
  }
  const parsed = OutputBundleSchema.safeParse(json);
  if (!parsed.success || parsed.data.jobId !== request.jobId.toLowerCase()) {
    throw new Cce4longError("VALIDATION_FAILED", "Output bundle is malformed", {
      detail: {
        jobId: request.jobId,
        fields: parsed.success ? ["jobId"] : parsed.error.issues.map((i) => i.path.join(".")),
      },
    });
  }
  return parsed.data;
}

/** What the VM's codes mean for a lower layer it refused before mounting (manifest-check.ts). */
const VERSION_MISMATCH_CODES: readonly string[] = ["DATASET_MANIFEST_INVALID", "SEAL_INTEGRITY"];

/** The on-chain reason of a run that did not succeed, from the VM's status report. */
export function failureReasonOf(status: JobRunStatus): JobFailureReason {
  if (status.outcome === "completed") return JobFailureReason.JobExitedNonZero;
  if (status.stage === AGENT_STAGE.MANIFEST_CHECKED && VERSION_MISMATCH_CODES.includes(status.code ?? "")) {
    return JobFailureReason.DatasetVersionMismatch;
  }
  return JobFailureReason.Internal;
}
