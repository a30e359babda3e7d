/**
 * End-to-end encrypted dataset upload (runs on the provider's machine): verify the Privacy Plane's
 * attested ingest key, encrypt each file to it as an upload envelope while streaming, PUT the envelope
 * through presigned URLs (parts for large files, resumable from a state file), complete, and wait for
 * the committed dataset version. Plaintext never leaves this machine unencrypted.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { QuoteVerifier } from "@cce4long/enclave-runtime/attestation/quote-verifier";
import {
  type EnvelopeMaterials,
  envelopeLength,
  envelopeStream,
  prepareEnvelope,
} from "@cce4long/enclave-runtime/ingest/envelope";
import {
  Cce4longError,
  type CreateUploadResponse,
  type RefreshUrlsResponse,
  SegmentedSha256,
  type UploadStatus,
  type UploadTarget,
} from "@cce4long/protocol";
import type { Hex, LocalAccount } from "viem";
import type { ApiClient } from "./api-client";
import { verifyIngestKey } from "./ingest-key";
import { type StagedFileDigest, signUploadAuthorization } from "./upload-authorization";

export interface UploadFile {
  /** Path in the dataset (what consumers see under /data). */
  path: string;
  /** The local file to read. */
  source: string;
}

export interface UploadDatasetOptions {
  /** Signed in as the provider of `datasetId`. */
  api: ApiClient;
  /** The provider's wallet: signs what was staged (EIP-712) when the session is completed. */
  provider: LocalAccount;
  /** The EIP-712 domain: the chain id and the hub contract. */
  chainId: number;
  hub: Hex;
  datasetId: string;
  files: readonly UploadFile[];
  /** Verifies the ingest key's quote (createQuoteVerifier for the deployment). */
  verifier: QuoteVerifier;
  /** Privacy Plane measurement ids the provider trusts (required for TDX evidence). */
  allowedMeasurementIds?: readonly string[];
  /**
   * Where progress is kept so an interrupted upload resumes (mode 0600; holds the per-file content keys,
   * which protect nothing the local plaintext files do not already expose). Deleted on success.
   */
  stateFile?: string;
  partsInFlight?: number;
  pollIntervalMs?: number;
  /** How long to wait for the committed version; 0 returns right after completing. */
  waitMs?: number;
  onProgress?(event: { file: string; uploadedBytes: number; totalBytes: number }): void;
  fetch?: typeof fetch;
}

interface FileState {
  path: string;
  source: string;
  size: number;
  mtimeMs: number;
  sha256: string;
  prefix: string;
  contentKey: string;
  payloadFileId: string;
  /** partNumber -> ETag; for single-PUT files, partNumber 1 means done. */
  parts: Record<string, string>;
}

interface UploadState {
  version: 1;
  datasetId: string;
  uploadId: string;
  ingestKeyVersion: number;
  files: FileState[];
}

export async function uploadDataset(options: UploadDatasetOptions): Promise<UploadStatus> {
  const doFetch = options.fetch ?? fetch;
  const resumed = options.stateFile ? await loadState(options) : undefined;
  const { state, targets } = resumed
    ? { state: resumed, targets: await refreshTargets(options.api, resumed) }
    : await startSession(options);
  const save = async () => {
    if (!options.stateFile) return;
    await writeFile(options.stateFile, JSON.stringify(state), { mode: 0o600 });
    await chmod(options.stateFile, 0o600);
  };
  await save();
  try {
    const completeParts: { index: number; parts?: { partNumber: number; etag: string }[] }[] = [];
    const digests: StagedFileDigest[] = [];
    for (const [index, file] of state.files.entries()) {
      const target = targets.find((t) => t.index === index);
      if (target === undefined)
        throw new Cce4longError("UPLOAD_STATE_INVALID", `no upload target for ${file.path}`);
      const staged = await uploadFile(file, target, state.datasetId, options, doFetch, save);
      // What this client streamed, not what the edge says: the signature covers our own bytes.
      digests.push({ index, path: file.path, ...staged });
      if (target.method === "multipart") {
        completeParts.push({
          index,
          parts: Object.entries(file.parts).map(([n, etag]) => ({ partNumber: Number(n), etag })),
        });
      }
    }
    const authorization = await signUploadAuthorization(options.provider, {
      chainId: options.chainId,
      hub: options.hub,
      datasetId: state.datasetId,
      uploadId: state.uploadId,
      files: digests,
    });
    let status = await options.api.request<UploadStatus>("POST", `/v1/uploads/${state.uploadId}/complete`, {
      files: completeParts,
      authorization,
    });
    if (options.stateFile) await rm(options.stateFile, { force: true });
    const deadline = Date.now() + (options.waitMs ?? 10 * 60_000);
    while ((status.state === "queued" || status.state === "ingesting") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 1000));
      status = await options.api.request<UploadStatus>("GET", `/v1/uploads/${state.uploadId}`);
    }
    return status;
  } finally {
    for (const file of state.files) file.contentKey = "";
  }
}

async function startSession(
  options: UploadDatasetOptions,
): Promise<{ state: UploadState; targets: UploadTarget[] }> {
  const nonce = randomBytes(32).toString("hex");
  const sources = await Promise.all(
    options.files.map(async (f) => {
      const info = await stat(f.source);
      return { ...f, size: info.size, mtimeMs: info.mtimeMs, sha256: await sha256File(f.source) };
    }),
  );
  const session = await options.api.request<CreateUploadResponse>(
    "POST",
    `/v1/datasets/${options.datasetId}/uploads`,
    {
      ingestKeyNonce: nonce,
      files: sources.map((f) => ({ path: f.path, size: envelopeLength(options.datasetId, f.size) })),
    },
  );
  const key = await verifyIngestKey(session.ingestKey, {
    verifier: options.verifier,
    expectedNonce: nonce,
    allowedMeasurementIds: options.allowedMeasurementIds,
  });
  const files: FileState[] = [];
  for (const f of sources) {
    const materials = await prepareEnvelope({
      datasetId: options.datasetId,
      uploadId: session.uploadId,
      path: f.path,
      ingestPublicKey: key.publicKey,
      ingestKeyVersion: key.keyVersion,
    });
    files.push({
      ...f,
      prefix: hex(materials.prefix),
      contentKey: hex(materials.contentKey),
      payloadFileId: hex(materials.payloadFileId),
      parts: {},
    });
    materials.contentKey.fill(0);
  }
  return {
    state: {
      version: 1,
      datasetId: options.datasetId,
      uploadId: session.uploadId,
      ingestKeyVersion: key.keyVersion,
      files,
    },
    targets: session.files,
  };
}

async function loadState(options: UploadDatasetOptions): Promise<UploadState | undefined> {
  let state: UploadState;
  try {
    state = JSON.parse(await readFile(options.stateFile!, "utf8")) as UploadState;
  } catch {
    return undefined;
  }
  const same =
    state.version === 1 &&
    state.datasetId === options.datasetId &&
    state.files.length === options.files.length &&
    state.files.every((f, i) => f.path === options.files[i]!.path && f.source === options.files[i]!.source);
  if (!same) return undefined;
  for (const file of state.files) {
    const info = await stat(file.source);
    // Re-using the content key and file id on changed plaintext would reuse GCM nonces: start over instead.
    if (info.size !== file.size || (await sha256File(file.source)) !== file.sha256) return undefined;
  }
  return state;
}

async function refreshTargets(api: ApiClient, state: UploadState): Promise<UploadTarget[]> {
  const fresh = await api.request<RefreshUrlsResponse>("POST", `/v1/uploads/${state.uploadId}/urls`, {
    files: state.files.map((_, index) => ({ index })),
  });
  return fresh.files;
}

async function uploadFile(
  file: FileState,
  target: UploadTarget,
  datasetId: string,
  options: UploadDatasetOptions,
  doFetch: typeof fetch,
  save: () => Promise<void>,
): Promise<{ size: number; sha256: string }> {
  const materials: EnvelopeMaterials = {
    prefix: fromHex(file.prefix),
    contentKey: fromHex(file.contentKey),
    payloadFileId: fromHex(file.payloadFileId),
  };
  try {
    // The envelope is regenerated byte for byte on a resume, so hashing the stream covers parts sent earlier.
    const digest = new SegmentedSha256();
    const stream = hashed(
      envelopeStream(materials, createReadStream(file.source, { highWaterMark: 1024 * 1024 }), {
        datasetId,
        plaintextLength: file.size,
      }),
      digest,
    );
    const staged = async () => ({ size: digest.bytes, sha256: await digest.digest() });
    if (target.method === "put") {
      const body = Buffer.concat(await collect(stream));
      if (file.parts["1"] !== undefined) return staged();
      await put(doFetch, target.url!, body, file.path);
      file.parts = { "1": "done" };
      await save();
      options.onProgress?.({ file: file.path, uploadedBytes: body.length, totalBytes: target.size });
      return staged();
    }
    const urls = new Map((target.parts ?? []).map((p) => [p.partNumber, p.url]));
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let uploaded = 0;
    for await (const [partNumber, body] of parts(stream, target.partSize!)) {
      if (file.parts[String(partNumber)] !== undefined) {
        uploaded += body.length;
        continue;
      }
      const url = urls.get(partNumber);
      if (url === undefined)
        throw new Cce4longError("UPLOAD_STATE_INVALID", `no URL for part ${partNumber} of ${file.path}`);
      const task = put(doFetch, url, body, file.path)
        .then(async (etag) => {
          file.parts[String(partNumber)] = etag;
          uploaded += body.length;
          await save();
          options.onProgress?.({ file: file.path, uploadedBytes: uploaded, totalBytes: target.size });
        })
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      while (inFlight.size >= (options.partsInFlight ?? 2)) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    return staged();
  } finally {
    materials.contentKey.fill(0);
  }
}

async function put(doFetch: typeof fetch, url: string, body: Uint8Array, path: string): Promise<string> {
  let response: Response;
  try {
    response = await doFetch(url, { method: "PUT", body, signal: AbortSignal.timeout(10 * 60_000) });
  } catch (cause) {
    throw new Cce4longError(
      "OBJECT_STORE_FAILED",
      `uploading ${path} failed: the object store cannot be reached`,
      { cause },
    );
  }
  await response.body?.cancel();
  if (!response.ok) {
    throw new Cce4longError("OBJECT_STORE_FAILED", `uploading ${path} failed with HTTP ${response.status}`, {
      detail: { status: response.status },
    });
  }
  return response.headers.get("etag") ?? "";
}

/** Cuts a byte stream into numbered parts of exactly `size` bytes (the last may be shorter). */
async function* parts(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<[number, Buffer]> {
  let part = Buffer.allocUnsafe(size);
  let filled = 0;
  let number = 0;
  for await (const piece of source) {
    let at = 0;
    while (at < piece.length) {
      const count = Math.min(size - filled, piece.length - at);
      part.set(piece.subarray(at, at + count), filled);
      filled += count;
      at += count;
      if (filled === size) {
        yield [++number, part];
        part = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield [++number, part.subarray(0, filled)];
}

/** Passes the stream through, feeding the signed segmented SHA-256 (digests run off this thread). */
async function* hashed(
  source: AsyncIterable<Uint8Array>,
  digest: SegmentedSha256,
): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    await digest.update(piece);
    yield piece;
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const piece of source) out.push(Uint8Array.from(piece));
  return out;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest("hex");
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const fromHex = (value: string) => Uint8Array.from(Buffer.from(value, "hex"));
