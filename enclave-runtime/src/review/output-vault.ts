/**
 * Where a job's output bytes wait between the gate and release (runs inside the TEE; plaintext in
 * this process's memory only, as the design requires). A restart loses them: the review then fails
 * the job (nothing half-checked is ever released). Wiped when the set is released, rejected or failed.
 */
export interface VaultFile {
  path: string;
  bytes: Uint8Array;
}

export interface OutputVault {
  put(jobId: string, files: readonly VaultFile[]): void;
  get(jobId: string): readonly VaultFile[] | undefined;
  /** Overwrites the bytes with zeros and forgets them. */
  wipe(jobId: string): void;
}

export class MemoryOutputVault implements OutputVault {
  readonly #files = new Map<string, readonly VaultFile[]>();

  put(jobId: string, files: readonly VaultFile[]): void {
    this.wipe(jobId);
    this.#files.set(jobId.toLowerCase(), files);
  }

  get(jobId: string): readonly VaultFile[] | undefined {
    return this.#files.get(jobId.toLowerCase());
  }

  wipe(jobId: string): void {
    for (const file of this.#files.get(jobId.toLowerCase()) ?? []) file.bytes.fill(0);
    this.#files.delete(jobId.toLowerCase());
  }
}
