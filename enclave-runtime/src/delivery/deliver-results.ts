/**
 * Writes a released job's outputs (each sealed to the consumer's result key) and its signed Result
 * Manifest to the results bucket (runs inside the TEE). Keys are RESULT_OBJECT_KEYS, which the edge
 * API reads to hand out short-lived presigned GET URLs. Only ciphertext and the manifest leave.
 */
import { createHash } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import { RESULT_OBJECT_KEYS, ResultOutputPathSchema } from "@cce4long/protocol/api/results";
import type { ManifestOutput, SignedResultManifest } from "@cce4long/protocol/manifest/result-manifest";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { hexToBytes } from "viem";
import type { ObjectStore } from "../ingest/object-store";
import { sealResultFile } from "./result-envelope";

export interface PlainOutput {
  path: string;
  bytes: Uint8Array;
}

export interface SealedOutput {
  entry: ManifestOutput;
  envelope: Uint8Array;
}

/** Seals every output to the consumer's key and describes it for the manifest (nothing written yet). */
export async function sealOutputs(input: {
  jobId: string;
  datasetId: string;
  resultPublicKey: string;
  files: readonly PlainOutput[];
}): Promise<SealedOutput[]> {
  const publicKey = hexToBytes(input.resultPublicKey as `0x${string}`);
  if (publicKey.length !== 32 || publicKey.every((b) => b === 0)) {
    throw new Cce4longError("VALIDATION_FAILED", "The job has no usable result public key", {
      detail: { jobId: input.jobId },
    });
  }
  const sealed: SealedOutput[] = [];
  for (const file of input.files) {
    if (!ResultOutputPathSchema.safeParse(file.path).success) {
      throw new Cce4longError("VALIDATION_FAILED", "An output path cannot be stored as a result", {
        detail: { jobId: input.jobId, path: file.path },
      });
    }
    const envelope = await sealResultFile(
      publicKey,
      { jobId: input.jobId, datasetId: input.datasetId, path: file.path },
      file.bytes,
    );
    sealed.push({
      envelope,
      entry: {
        path: file.path,
        sha256: sha256(envelope),
        size: envelope.length,
        plaintextSha256: sha256(file.bytes),
        plaintextSize: file.bytes.length,
      },
    });
  }
  return sealed;
}

/** Stores the sealed outputs, then the manifest (last: its presence means the set is complete). */
export async function storeResults(
  store: ObjectStore,
  manifest: SignedResultManifest,
  outputs: readonly SealedOutput[],
): Promise<void> {
  for (const output of outputs) {
    await store.put(
      BUCKETS.results,
      RESULT_OBJECT_KEYS.output(manifest.jobId, output.entry.path),
      output.envelope,
    );
  }
  await store.put(
    BUCKETS.results,
    RESULT_OBJECT_KEYS.manifest(manifest.jobId),
    new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    "application/json",
  );
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
