/**
 * The output vault of a Privacy Plane with a state folder (runs inside the TEE): each held output set
 * is also written, sealed in the encrypted file format under the output vault key (a dstack-derived
 * key, sealing/src/keys), to `<stateDir>/output-vault/<jobId>.sealed`, so a set waiting days for a
 * reviewer survives a restart or an upgrade. The plaintext stays in memory as before; the disk holds
 * ciphertext only (the state disk is dstack's encrypted disk as well). The sealed bytes carry the job
 * id inside the authenticated plaintext, so a file copied under another job's name is refused, as is
 * any flipped bit. Written with fsync and rename: a crash leaves the old file or the new one.
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { decryptBuffer, encryptBuffer } from "@cce4long/sealing";
import type { DatasetKey } from "@cce4long/sealing/keys/types";
import { replaceFile } from "../state/replace-file";
import { MemoryOutputVault, type OutputVault, type VaultFile } from "./output-vault";

const JOB_ID = /^0x[0-9a-f]{64}$/;
const SEALED_FILE = /^0x[0-9a-f]{64}\.sealed$/;
const FORMAT = "cce4long-output-vault-v1";

export interface SealedOutputVaultOptions {
  stateDir: string;
  /** The output vault key (KeyProvider.outputVaultKey); wiped after each use. */
  key(): Promise<DatasetKey>;
}

export class SealedOutputVault implements OutputVault {
  readonly #dir: string;
  readonly #key: () => Promise<DatasetKey>;
  readonly #memory = new MemoryOutputVault();
  readonly #loading = new Map<string, Promise<readonly VaultFile[] | undefined>>();
  /** Bumped by every put and wipe of a job, so a load that ran meanwhile does not bring back old bytes. */
  readonly #generations = new Map<string, number>();
  #ready: Promise<unknown> | undefined;

  constructor(options: SealedOutputVaultOptions) {
    this.#dir = join(options.stateDir, "output-vault");
    this.#key = options.key;
  }

  async put(jobId: string, files: readonly VaultFile[]): Promise<void> {
    const id = checkedJobId(jobId);
    this.#bump(id);
    const plaintext = encodeOutputSet(id, files);
    const key = await this.#key();
    let sealed: Uint8Array;
    try {
      sealed = encryptBuffer(plaintext, {
        key: key.key,
        datasetId: key.datasetId,
        keyVersion: key.keyVersion,
      });
    } finally {
      key.wipe();
      plaintext.fill(0);
    }
    await this.#init();
    await replaceFile(this.#path(id), sealed);
    await this.#memory.put(id, files);
  }

  async get(jobId: string): Promise<readonly VaultFile[] | undefined> {
    const id = checkedJobId(jobId);
    const held = this.#memory.held(id);
    if (held !== undefined) return held;
    // One load per job at a time: a second load's put() would zero the files the first one returned.
    let loading = this.#loading.get(id);
    if (loading === undefined) {
      loading = this.#load(id).finally(() => this.#loading.delete(id));
      this.#loading.set(id, loading);
    }
    return loading;
  }

  async #load(id: string): Promise<readonly VaultFile[] | undefined> {
    const generation = this.#generation(id);
    let sealed: Uint8Array;
    try {
      sealed = await readFile(this.#path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const key = await this.#key();
    let plaintext: Uint8Array;
    try {
      plaintext = decryptBuffer(sealed, key.key).plaintext;
    } catch (cause) {
      throw corrupt(id, "it does not decrypt under the output vault key", cause);
    } finally {
      key.wipe();
    }
    try {
      const files = decodeOutputSet(id, plaintext);
      if (this.#generation(id) !== generation) {
        // Replaced or wiped while this load ran: what it read is no longer the held set.
        for (const file of files) file.bytes.fill(0);
        return this.#memory.held(id);
      }
      await this.#memory.put(id, files);
      return files;
    } finally {
      plaintext.fill(0);
    }
  }

  async wipe(jobId: string): Promise<void> {
    const id = checkedJobId(jobId);
    this.#bump(id);
    this.#memory.forget(id);
    // Nothing can be loading it any more once no load is in flight: the counter may go.
    if (!this.#loading.has(id)) this.#generations.delete(id);
    await rm(this.#path(id), { force: true });
  }

  async list(): Promise<string[]> {
    await this.#init();
    const onDisk = (await readdir(this.#dir))
      .filter((n) => SEALED_FILE.test(n))
      .map((n) => n.slice(0, -".sealed".length));
    return [...new Set([...onDisk, ...(await this.#memory.list())])];
  }

  #generation(jobId: string): number {
    return this.#generations.get(jobId) ?? 0;
  }

  #bump(jobId: string): void {
    this.#generations.set(jobId, this.#generation(jobId) + 1);
  }

  #path(jobId: string): string {
    return join(this.#dir, `${jobId}.sealed`);
  }

  #init(): Promise<unknown> {
    this.#ready ??= mkdir(this.#dir, { recursive: true, mode: 0o700 });
    return this.#ready;
  }
}

function checkedJobId(jobId: string): string {
  const id = jobId.toLowerCase();
  // The id names a file: anything but a bytes32 hex string could reach outside the folder.
  if (!JOB_ID.test(id)) throw new Cce4longError("VALIDATION_FAILED", "A job id is 0x and 64 hex digits");
  return id;
}

function corrupt(jobId: string, why: string, cause?: unknown): Cce4longError {
  return new Cce4longError("OUTPUT_VAULT_CORRUPT", `The output set held for review cannot be used: ${why}`, {
    detail: { jobId },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The sealed plaintext: a 4-byte big-endian length, that many bytes of JSON
 * `{ format, jobId, files: [{ path, size }] }`, then the files' bytes in that order.
 */
export function encodeOutputSet(jobId: string, files: readonly VaultFile[]): Uint8Array {
  const head = new TextEncoder().encode(
    JSON.stringify({
      format: FORMAT,
      jobId,
      files: files.map((f) => ({ path: f.path, size: f.bytes.length })),
    }),
  );
  const out = new Uint8Array(4 + head.length + files.reduce((sum, f) => sum + f.bytes.length, 0));
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  let at = 4 + head.length;
  for (const file of files) {
    out.set(file.bytes, at);
    at += file.bytes.length;
  }
  return out;
}

/** Parses encodeOutputSet's bytes, copying each file out; refuses another job's set or any misfit. */
export function decodeOutputSet(jobId: string, bytes: Uint8Array): VaultFile[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLength = bytes.length >= 4 ? view.getUint32(0) : Number.POSITIVE_INFINITY;
  if (4 + headLength > bytes.length) throw corrupt(jobId, "its listing is cut short");
  let head: { format?: unknown; jobId?: unknown; files?: unknown };
  try {
    head = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(4, 4 + headLength)));
  } catch (cause) {
    throw corrupt(jobId, "its listing is not JSON", cause);
  }
  if (head.format !== FORMAT) throw corrupt(jobId, "it is not an output vault set");
  if (head.jobId !== jobId) throw corrupt(jobId, "it was sealed for another job");
  if (!Array.isArray(head.files)) throw corrupt(jobId, "its listing has no files");
  const files: VaultFile[] = [];
  try {
    let at = 4 + headLength;
    for (const entry of head.files as { path?: unknown; size?: unknown }[]) {
      if (
        typeof entry?.path !== "string" ||
        !Number.isSafeInteger(entry.size) ||
        (entry.size as number) < 0
      ) {
        throw corrupt(jobId, "a listed file is malformed");
      }
      const end = at + (entry.size as number);
      if (end > bytes.length) throw corrupt(jobId, "a file is cut short");
      files.push({ path: entry.path, bytes: bytes.slice(at, end) });
      at = end;
    }
    if (at !== bytes.length) throw corrupt(jobId, "it holds bytes no file claims");
    return files;
  } catch (error) {
    for (const file of files) file.bytes.fill(0);
    throw error;
  }
}
