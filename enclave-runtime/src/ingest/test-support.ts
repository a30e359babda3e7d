/**
 * Test support for ingest (runs in Node under vitest only): a fake chain, fixed keys, and a provider
 * that stages an upload into a MemoryObjectStore exactly as the SDK and the edge API would.
 */

import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { type StagedFileDigest, signUploadAuthorization } from "@cce4long/cli/sdk/upload-authorization";
import {
  segmentedSha256,
  UPLOAD_KEYS,
  type UploadAuthorization,
  type UploadSessionRecord,
} from "@cce4long/protocol";
import type { IngestRequestedMessage } from "@cce4long/protocol/queue/messages";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { keyFingerprint, x25519PublicKey } from "@cce4long/sealing/keys/derive";
import type { DatasetKey } from "@cce4long/sealing/keys/types";
import type { Hex, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { DerivedArtefactBuilder } from "./derived";
import { sealEnvelope } from "./envelope";
import type { DatasetVersionChain, IngestDeps } from "./ingest-upload";
import { MemoryObjectStore } from "./memory-object-store";

export const DATASET = `0x${"ab".repeat(32)}`;
/** The dataset's provider in tests (a throwaway key; signs the upload sessions stageUpload writes). */
export const PROVIDER_ACCOUNT = privateKeyToAccount(`0x${"5e".repeat(32)}`);
export const PROVIDER = PROVIDER_ACCOUNT.address.toLowerCase();
/** The EIP-712 domain ingest verifies upload signatures in. */
export const SIGNATURE_DOMAIN = { chainId: 31337, hub: `0x${"4b".repeat(20)}` as Hex };
/** testDeps' clock, in unix seconds. */
export const NOW_SECONDS = Date.parse("2026-11-21T10:00:00.000Z") / 1000;
export const DATASET_KEY_BYTES = new Uint8Array(32).map((_, i) => 200 - i);
export const INGEST_PRIVATE_KEY = new Uint8Array(32).map((_, i) => i + 1);
export const INGEST_PUBLIC_KEY = x25519PublicKey(INGEST_PRIVATE_KEY);

export class FakeChain implements DatasetVersionChain {
  datasets = new Map<string, { provider: string; retired: boolean }>([
    [DATASET, { provider: PROVIDER, retired: false }],
  ]);
  versions = new Map<string, string[]>();
  commits = 0;
  /** Simulates "the transaction was mined but the answer was lost". */
  loseNextCommitAnswer = false;
  down = false;

  async dataset(datasetId: string) {
    this.#check();
    return this.datasets.get(datasetId) ?? null;
  }

  async findVersion(datasetId: string, root: string) {
    this.#check();
    const index = (this.versions.get(datasetId) ?? []).indexOf(root);
    return index === -1 ? null : { version: index + 1 };
  }

  async commitVersion(datasetId: string, root: string) {
    this.#check();
    const list = this.versions.get(datasetId) ?? [];
    list.push(root);
    this.versions.set(datasetId, list);
    this.commits++;
    if (this.loseNextCommitAnswer) {
      this.loseNextCommitAnswer = false;
      throw Object.assign(new Error("connection reset after sending the transaction"), {
        code: "CHAIN_UNREACHABLE",
      });
    }
    return { version: list.length, transactionHash: `0x${"cd".repeat(32)}` };
  }

  #check(): void {
    if (this.down) throw new Error("chain down");
  }
}

export function datasetKey(): DatasetKey {
  const key = DATASET_KEY_BYTES.slice();
  return {
    datasetId: DATASET,
    keyVersion: 1,
    key,
    fingerprint: keyFingerprint(key),
    wipe: () => key.fill(0),
  };
}

export function testDeps(
  overrides: Partial<IngestDeps> = {},
  derived: readonly DerivedArtefactBuilder[] = [],
) {
  const store = new MemoryObjectStore();
  const chain = new FakeChain();
  const logs: { event: string; fields: Record<string, unknown> }[] = [];
  const deps: IngestDeps = {
    store,
    buckets: { staging: BUCKETS.staging, datasets: BUCKETS.datasets },
    datasetKeyForWrite: async () => datasetKey(),
    ingestPrivateKey: async (version) => {
      if (version !== 1) throw new Error("unknown ingest key version");
      return INGEST_PRIVATE_KEY.slice();
    },
    chain,
    signatureDomain: SIGNATURE_DOMAIN,
    derived,
    log: (event, fields) => logs.push({ event, fields }),
    now: () => new Date("2026-11-21T10:00:00.000Z"),
    tempDir: tmpdir(),
    write: { partSize: 5 * 1024 * 1024, maxInFlight: 2 },
    ...overrides,
  };
  return { deps, store, chain, logs };
}

export interface StagedFile {
  path: string;
  plaintext: Uint8Array;
}

/** Seals and stages files as a provider's client would, writes the completed session record. */
export async function stageUpload(
  store: MemoryObjectStore,
  files: readonly StagedFile[],
  options: {
    uploadId?: string;
    datasetId?: string;
    provider?: string;
    completed?: boolean;
    /** Who signs (default the provider); null leaves the session unsigned. */
    signer?: LocalAccount | null;
    /** Changes the signed statement before it is signed (the refusal tests). */
    alterSigned?: (signed: SignedUploadInput) => SignedUploadInput;
    /** Changes the stored authorization after signing. */
    alterAuthorization?: (authorization: UploadAuthorization) => UploadAuthorization;
  } = {},
): Promise<IngestRequestedMessage> {
  const uploadId = options.uploadId ?? randomBytes(16).toString("hex");
  const datasetId = options.datasetId ?? DATASET;
  const session: UploadSessionRecord = {
    uploadId,
    datasetId: datasetId as `0x${string}`,
    provider: options.provider ?? PROVIDER,
    createdAt: "2026-11-21T09:00:00.000Z",
    expiresAt: "2026-11-22T09:00:00.000Z",
    completedAt: options.completed === false ? null : "2026-11-21T09:30:00.000Z",
    files: [],
    authorization: null,
  };
  const digests: StagedFileDigest[] = [];
  for (const [index, file] of files.entries()) {
    const bytes = await collect(
      sealEnvelope(one(file.plaintext), {
        datasetId,
        uploadId,
        path: file.path,
        ingestPublicKey: INGEST_PUBLIC_KEY,
        ingestKeyVersion: 1,
        plaintextLength: file.plaintext.length,
      }),
    );
    const objectKey = UPLOAD_KEYS.staged(datasetId, uploadId, index);
    await store.put(BUCKETS.staging, objectKey, bytes);
    digests.push({
      index,
      path: file.path,
      size: bytes.length,
      sha256: await segmentedSha256(bytes),
    });
    session.files.push({
      index,
      path: file.path,
      size: bytes.length,
      objectKey,
      multipartUploadId: null,
      partSize: null,
    });
  }
  const signer = options.signer === undefined ? PROVIDER_ACCOUNT : options.signer;
  if (signer !== null && session.completedAt !== null) {
    const input: SignedUploadInput = {
      ...SIGNATURE_DOMAIN,
      datasetId,
      uploadId,
      files: digests,
      expiresAt: NOW_SECONDS + 3600,
    };
    const authorization = await signUploadAuthorization(signer, options.alterSigned?.(input) ?? input);
    session.authorization = options.alterAuthorization?.(authorization) ?? authorization;
  }
  await store.put(
    BUCKETS.staging,
    UPLOAD_KEYS.session(uploadId),
    new TextEncoder().encode(JSON.stringify(session)),
  );
  return {
    type: "ingest.requested",
    version: 1,
    uploadId,
    datasetId,
    provider: options.provider ?? PROVIDER,
    submittedAt: "2026-11-21T09:30:00.000Z",
  };
}

export type SignedUploadInput = Parameters<typeof signUploadAuthorization>[1] & { expiresAt: number };

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const piece of source) parts.push(piece.slice());
  return Buffer.concat(parts);
}

export async function* one(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  // Uneven pieces, as a file read would give.
  for (let at = 0; at < bytes.length; at += 50_000) yield bytes.subarray(at, at + 50_000);
  if (bytes.length === 0) return;
}
