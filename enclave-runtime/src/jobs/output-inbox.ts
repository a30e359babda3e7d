/**
 * Outputs received from job VMs, waiting for the Output Gate (runs inside the TEE; plaintext stays in
 * this process's memory). The gate (enclave-runtime/src/gate/checkOutputs) takes them from here with the
 * spec's declared outputs; until the gate's queue is wired, they are kept here and listed for it.
 */
import type { JobSpec } from "@cce4long/protocol/jobs/job-spec";
import type { Hex } from "viem";

export interface ReceivedOutputs {
  jobId: Hex;
  datasetId: Hex;
  measurementId?: Hex;
  spec?: JobSpec;
  files: { path: string; sha256: string; bytes: Uint8Array }[];
  outputsCommitment: Hex;
  receivedAt: Date;
}

export class OutputInbox {
  readonly #byJob = new Map<string, ReceivedOutputs>();
  readonly #listeners = new Set<(outputs: ReceivedOutputs) => void>();

  put(outputs: ReceivedOutputs): void {
    this.#byJob.set(outputs.jobId.toLowerCase(), outputs);
    for (const listener of this.#listeners) listener(outputs);
  }

  get(jobId: Hex): ReceivedOutputs | undefined {
    return this.#byJob.get(jobId.toLowerCase());
  }

  /** Removes and returns a job's outputs (the gate took them). Wipes nothing: the gate owns them now. */
  take(jobId: Hex): ReceivedOutputs | undefined {
    const outputs = this.get(jobId);
    this.#byJob.delete(jobId.toLowerCase());
    return outputs;
  }

  onReceived(listener: (outputs: ReceivedOutputs) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#byJob.size;
  }
}
