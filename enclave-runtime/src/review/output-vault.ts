/**
 * Where a job's output bytes wait between the gate and release (runs inside the TEE). Plaintext lives
 * in this process's memory only; sealed-output-vault.ts adds a sealed copy on the state disk so that a
 * set waiting days for a reviewer survives a restart. MemoryOutputVault alone (no state folder: tests,
 * a development stack without one) loses them on restart, and the review then fails the job: nothing
 * half-checked is ever released. Wiped when the set is released, rejected or failed.
 */
export interface VaultFile {
  path: string;
  bytes: Uint8Array;
}

export interface OutputVault {
  put(jobId: string, files: readonly VaultFile[]): Promise<void>;
  /** The held files, or undefined when nothing is held for the job. */
  get(jobId: string): Promise<readonly VaultFile[] | undefined>;
  /** Overwrites the bytes with zeros and forgets them. */
  wipe(jobId: string): Promise<void>;
  /** The job ids with a set held (for the sweeper's clean-up of sets no record needs). */
  list(): Promise<string[]>;
}

export class MemoryOutputVault implements OutputVault {
  readonly #files = new Map<string, readonly VaultFile[]>();

  async put(jobId: string, files: readonly VaultFile[]): Promise<void> {
    this.forget(jobId);
    this.#files.set(jobId.toLowerCase(), files);
  }

  async get(jobId: string): Promise<readonly VaultFile[] | undefined> {
    return this.held(jobId);
  }

  async wipe(jobId: string): Promise<void> {
    this.forget(jobId);
  }

  async list(): Promise<string[]> {
    return [...this.#files.keys()];
  }

  /** get() without the promise, for the sealed vault's cache. */
  held(jobId: string): readonly VaultFile[] | undefined {
    return this.#files.get(jobId.toLowerCase());
  }

  /** wipe() without the promise. */
  forget(jobId: string): void {
    for (const file of this.#files.get(jobId.toLowerCase()) ?? []) file.bytes.fill(0);
    this.#files.delete(jobId.toLowerCase());
  }
}
