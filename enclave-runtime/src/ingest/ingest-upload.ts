/**
 * Ingest of one completed upload (runs inside the TEE): staged envelopes -> dataset files under the
 * dataset key -> derived artefacts -> manifest -> on-chain version -> staging deleted. Idempotent by
 * upload id: everything is written under the upload's own prefix, the manifest pointer is written
 * last before the chain, and the chain decides what is visible. A crash at any step leaves no version
 * half visible; running again finishes the job (docs/dataset-manifest.md, "Ingest and crashes"). Only a
 * committed manifest is taken as it is: one a crashed run wrote but did not commit is redone from the
 * staged bytes, with every check of a fresh run, because the bucket holding it is not trusted.
 */

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type AuthorizedFile,
  Cce4longError,
  checkUploadAuthorization,
  type IngestStatusRecord,
  isCce4longError,
  UPLOAD_KEYS,
  type UploadSessionRecord,
  UploadSessionRecordSchema,
} from "@cce4long/protocol";
import {
  buildManifest,
  DATASET_MANIFEST_FORMAT,
  type DatasetManifest,
  type ManifestEntry,
  verifyManifest,
} from "@cce4long/protocol/datasets/manifest";
import type { IngestRequestedMessage } from "@cce4long/protocol/queue/messages";
import { encryptBuffer, parseHeader } from "@cce4long/sealing";
import type { DatasetKey } from "@cce4long/sealing/keys/types";
import type { Hex } from "viem";
import type { DerivedArtefactBuilder, TableFile } from "./derived";
import type { ObjectStore } from "./object-store";
import { writeObjectStream } from "./object-writer";
import { DATASET_CHUNK_SIZE, reencryptEnvelope } from "./reencrypt";
import { StagedDigest } from "./staged-digest";
import { CsvObserver, matchSchema, sealedCsvRows } from "./tables";

/** The chain as ingest needs it (implemented with viem in chain-versions.ts, faked in tests). */
export interface DatasetVersionChain {
  dataset(datasetId: string): Promise<{ provider: string; retired: boolean } | null>;
  /** The version whose manifest root is `root`, if one was committed. */
  findVersion(datasetId: string, root: string): Promise<{ version: number } | null>;
  commitVersion(
    datasetId: string,
    root: string,
  ): Promise<{ version: number; transactionHash: string | null }>;
}

export interface IngestDeps {
  store: ObjectStore;
  buckets: { staging: string; datasets: string };
  /** The current dataset key (the keyring's keyForWrite; created at version 1 on a first upload). */
  datasetKeyForWrite(datasetId: string): Promise<DatasetKey>;
  /** The ingest X25519 private key of a version. */
  ingestPrivateKey(version: number): Promise<Uint8Array>;
  chain: DatasetVersionChain;
  /** The EIP-712 domain the provider signs uploads in (docs/upload-envelope.md section 5). */
  signatureDomain: { chainId: number; hub: Hex };
  derived: readonly DerivedArtefactBuilder[];
  log(event: string, fields: Record<string, unknown>): void;
  now(): Date;
  /** Where sealed (ciphertext) copies of tables go while derived artefacts are built. */
  tempDir: string;
  write: { partSize: number; maxInFlight: number };
}

export type IngestOutcome =
  | { kind: "committed"; version: number; manifestRoot: string; transactionHash: string | null }
  /** Permanent: retrying cannot help (bad envelope, unknown dataset...). The status record says why. */
  | { kind: "failed"; code: string; message: string };

/** Codes that mean "the upload itself is wrong": acknowledged, recorded, not retried. */
const PERMANENT = new Set([
  "UPLOAD_ENVELOPE_INVALID",
  "UPLOAD_STATE_INVALID",
  "UPLOAD_SIGNATURE_INVALID",
  "DATASET_MANIFEST_INVALID",
  "NOT_FOUND",
  "VALIDATION_FAILED",
]);

export async function ingestUpload(
  deps: IngestDeps,
  message: IngestRequestedMessage,
): Promise<IngestOutcome> {
  const { datasetId, uploadId } = message;
  try {
    const session = await readSession(deps, message);
    const provider = await ensureDatasetAccepts(deps, session);
    const committedManifest = await readCommittedManifest(deps, session);
    // Before anything is written: the chain's provider signed exactly these files (an expired statement
    // only stands for a version an earlier attempt already committed, so a duplicate stays harmless).
    const signed = await ensureSignedByProvider(deps, session, provider, committedManifest !== null);
    const manifest = committedManifest ?? (await writeVersion(deps, session, signed));
    const committed = await commitOnce(deps, manifest);
    await deleteStaging(deps, session);
    await writeStatus(deps, session, {
      state: "committed",
      version: committed.version,
      manifestRoot: manifest.root,
      transactionHash: committed.transactionHash,
      error: null,
    });
    deps.log("ingest.committed", { datasetId, uploadId, version: committed.version, root: manifest.root });
    return {
      kind: "committed",
      version: committed.version,
      manifestRoot: manifest.root,
      transactionHash: committed.transactionHash,
    };
  } catch (error) {
    const code = isCce4longError(error) ? error.code : "INTERNAL";
    deps.log("ingest.failed", {
      datasetId,
      uploadId,
      code,
      error: error instanceof Error ? error.message : String(error),
      detail: isCce4longError(error) ? error.detail : undefined,
    });
    if (!PERMANENT.has(code)) throw error;
    const messageText = error instanceof Error ? error.message : "ingest failed";
    await writeStatusFor(deps, datasetId, uploadId, {
      state: "failed",
      version: null,
      manifestRoot: null,
      transactionHash: null,
      error: { code, message: messageText },
    }).catch(() => {});
    return { kind: "failed", code, message: messageText };
  }
}

async function readSession(deps: IngestDeps, message: IngestRequestedMessage): Promise<UploadSessionRecord> {
  const bytes = await deps.store.getBytes(deps.buckets.staging, UPLOAD_KEYS.session(message.uploadId));
  if (bytes === null) throw stateInvalid("no upload session with this id");
  const parsed = UploadSessionRecordSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) throw stateInvalid("the upload session record is malformed");
  const session = parsed.data;
  if (
    session.datasetId !== message.datasetId.toLowerCase() ||
    session.provider.toLowerCase() !== message.provider.toLowerCase()
  ) {
    throw stateInvalid("the ingest message does not match its upload session");
  }
  if (session.completedAt === null) throw stateInvalid("the upload session was not completed");
  return session;
}

/** The chain, not the message or the session, says whether this provider may add a version. */
async function ensureDatasetAccepts(deps: IngestDeps, session: UploadSessionRecord): Promise<string> {
  const dataset = await deps.chain.dataset(session.datasetId);
  if (dataset === null) throw stateInvalid("the dataset is not registered on-chain");
  if (dataset.provider.toLowerCase() !== session.provider.toLowerCase()) {
    throw stateInvalid("the upload's provider is not the dataset's provider on-chain");
  }
  if (dataset.retired) throw stateInvalid("the dataset is retired");
  return dataset.provider;
}

/**
 * The provider's EIP-712 statement over this dataset, this session and every file (path, envelope
 * size, envelope SHA-256) must be signed by the provider the chain names now; the staged bytes are
 * then checked against the signed size and hash while they are ingested (StagedDigest).
 */
async function ensureSignedByProvider(
  deps: IngestDeps,
  session: UploadSessionRecord,
  provider: string,
  alreadyCommitted: boolean,
): Promise<Map<number, AuthorizedFile>> {
  if (session.authorization === null)
    throw signatureInvalid("the upload session carries no provider signature");
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const check = await checkUploadAuthorization(session, session.authorization, {
    provider,
    chainId: deps.signatureDomain.chainId,
    hub: deps.signatureDomain.hub,
    // A committed version was checked in full when it was ingested; only the clock has moved since.
    nowSeconds: alreadyCommitted ? null : nowSeconds,
  });
  if (!check.ok) throw signatureInvalid(check.reason);
  return new Map(check.files.map((f) => [f.index, f]));
}

/**
 * The manifest of an earlier attempt whose root is already on-chain (the commit happened, maybe its
 * answer was lost), or null. A pointer whose root is not on-chain was written by a run that crashed
 * before committing: nothing here can tell it from one the bucket's holder wrote or edited (it is not
 * signed, and the objects it names could have been swapped), so it is discarded and the version is
 * written again from the staged bytes, re-checked against the provider's signature (the retry is a
 * fresh run; its new objects overwrite the old ones, its pointer the old pointer).
 */
async function readCommittedManifest(
  deps: IngestDeps,
  session: UploadSessionRecord,
): Promise<DatasetManifest | null> {
  const key = UPLOAD_KEYS.uploadManifest(session.datasetId, session.uploadId);
  const bytes = await deps.store.getBytes(deps.buckets.datasets, key);
  if (bytes === null) return null;
  const discard = async (reason: string) => {
    deps.log("ingest.manifest-discarded", { uploadId: session.uploadId, reason });
    // Gone before the redo starts: should the redo be refused, no pointer claims a complete version.
    await deps.store.delete(deps.buckets.datasets, key);
    return null;
  };
  let manifest: DatasetManifest;
  try {
    manifest = verifyManifest(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return discard("unreadable");
  }
  // The upload id is under the root: another upload's committed manifest does not pass for this one's.
  if (manifest.datasetId !== session.datasetId || manifest.uploadId !== session.uploadId) {
    return discard("another upload's");
  }
  if ((await deps.chain.findVersion(session.datasetId, manifest.root)) !== null) return manifest;
  return discard("not committed: redone");
}

async function writeVersion(
  deps: IngestDeps,
  session: UploadSessionRecord,
  signed: ReadonlyMap<number, AuthorizedFile>,
): Promise<DatasetManifest> {
  await writeStatus(deps, session, {
    state: "ingesting",
    version: null,
    manifestRoot: null,
    transactionHash: null,
    error: null,
  });
  const datasetKey = await deps.datasetKeyForWrite(session.datasetId);
  const temp = await mkdtemp(join(deps.tempDir, "cce4long-ingest-"));
  try {
    const entries: ManifestEntry[] = [];
    const tables: TableFile[] = [];
    for (const file of [...session.files].sort((a, b) => a.index - b.index)) {
      const stream = await deps.store.getStream(deps.buckets.staging, file.objectKey);
      if (stream === null) throw stateInvalid(`file ${file.index} (${file.path}) was never uploaded`);
      // Hashed as it is read: the one pass that decrypts also proves these are the signed bytes.
      const staged = new StagedDigest(stream);
      const source = staged.stream();
      const isCsv = file.path.toLowerCase().endsWith(".csv");
      const csv = isCsv ? new CsvObserver() : undefined;
      const objectKey = UPLOAD_KEYS.dataFile(session.datasetId, session.uploadId, file.index);
      // A CSV's ciphertext is also kept in a local file, so derived builders can re-read it.
      const localCopy = isCsv ? join(temp, `${file.index}.c4le`) : undefined;
      let result: Awaited<ReturnType<typeof reencryptEnvelope>>;
      try {
        result = await reencryptEnvelope({
          source,
          context: { datasetId: session.datasetId, uploadId: session.uploadId, path: file.path },
          ingestPrivateKey: deps.ingestPrivateKey,
          datasetKey,
          observePlaintext: csv ? (piece) => csv.observe(piece) : undefined,
          write: (ciphertext) =>
            writeObjectStream(
              deps.store,
              deps.buckets.datasets,
              objectKey,
              localCopy ? teeToFile(ciphertext, localCopy) : ciphertext,
              { ...deps.write, partSize: partSizeFor(file.size, deps.write.partSize) },
            ),
        });
        await staged.ensureMatches(signed.get(file.index)!, `file ${file.index} (${file.path})`);
      } finally {
        await staged.close();
      }
      const schema = matchSchema(csv?.headerColumns);
      if (schema !== undefined && localCopy !== undefined) {
        tables.push({ path: file.path, schema, rows: sealedCsvRows(localCopy, datasetKey.key) });
      }
      entries.push({ kind: "data", path: file.path, objectKey, ...result, rows: csv?.rows ?? null });
    }
    for (const builder of deps.derived) {
      const bytes = await builder.build({
        datasetId: session.datasetId,
        uploadId: session.uploadId,
        datasetKey: datasetKey.key,
        tables,
      });
      if (bytes === null) continue;
      entries.push(await storeDerived(deps, session, datasetKey, builder, bytes));
      bytes.fill(0);
    }
    const manifest = buildManifest({
      format: DATASET_MANIFEST_FORMAT,
      datasetId: session.datasetId,
      uploadId: session.uploadId,
      createdAt: deps.now().toISOString(),
      entries,
    });
    const json = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
    // Content-addressed copy first, then the upload's pointer: a present pointer means a complete version.
    await deps.store.put(
      deps.buckets.datasets,
      UPLOAD_KEYS.manifestByRoot(session.datasetId, manifest.root),
      json,
      "application/json",
    );
    await deps.store.put(
      deps.buckets.datasets,
      UPLOAD_KEYS.uploadManifest(session.datasetId, session.uploadId),
      json,
      "application/json",
    );
    return manifest;
  } finally {
    datasetKey.wipe();
    await rm(temp, { recursive: true, force: true });
  }
}

async function storeDerived(
  deps: IngestDeps,
  session: UploadSessionRecord,
  datasetKey: DatasetKey,
  builder: DerivedArtefactBuilder,
  plaintext: Uint8Array,
): Promise<ManifestEntry> {
  const sealed = encryptBuffer(plaintext, {
    key: datasetKey.key,
    datasetId: session.datasetId,
    keyVersion: datasetKey.keyVersion,
    chunkSize: DATASET_CHUNK_SIZE,
  });
  const objectKey = UPLOAD_KEYS.derived(session.datasetId, session.uploadId, builder.name);
  const written = await writeObjectStream(
    deps.store,
    deps.buckets.datasets,
    objectKey,
    single(sealed),
    deps.write,
  );
  return {
    kind: builder.kind,
    path: `.cce4long/${builder.name}`,
    objectKey,
    fileId: Buffer.from(parseHeader(sealed).header.fileId).toString("hex"),
    keyVersion: datasetKey.keyVersion,
    chunkSize: DATASET_CHUNK_SIZE,
    plaintextBytes: plaintext.length,
    ciphertextBytes: written.bytes,
    ciphertextSha256: written.sha256,
    rows: null,
  };
}

/** Commits the root unless an earlier attempt already did (the chain is the record of versions). */
async function commitOnce(
  deps: IngestDeps,
  manifest: DatasetManifest,
): Promise<{ version: number; transactionHash: string | null }> {
  const found = await deps.chain.findVersion(manifest.datasetId, manifest.root);
  if (found !== null) return { version: found.version, transactionHash: null };
  return deps.chain.commitVersion(manifest.datasetId, manifest.root);
}

async function deleteStaging(deps: IngestDeps, session: UploadSessionRecord): Promise<void> {
  for (const file of session.files) await deps.store.delete(deps.buckets.staging, file.objectKey);
}

async function writeStatus(
  deps: IngestDeps,
  session: UploadSessionRecord,
  fields: Omit<IngestStatusRecord, "uploadId" | "datasetId" | "updatedAt">,
): Promise<void> {
  await writeStatusFor(deps, session.datasetId, session.uploadId, fields);
}

async function writeStatusFor(
  deps: IngestDeps,
  datasetId: string,
  uploadId: string,
  fields: Omit<IngestStatusRecord, "uploadId" | "datasetId" | "updatedAt">,
): Promise<void> {
  const record: IngestStatusRecord = {
    uploadId,
    datasetId: datasetId.toLowerCase() as `0x${string}`,
    updatedAt: deps.now().toISOString(),
    ...fields,
  };
  await deps.store.put(
    deps.buckets.datasets,
    UPLOAD_KEYS.status(datasetId.toLowerCase(), uploadId),
    new TextEncoder().encode(JSON.stringify(record)),
    "application/json",
  );
}

async function* teeToFile(source: AsyncIterable<Uint8Array>, path: string): AsyncGenerator<Uint8Array> {
  const out = createWriteStream(path, { mode: 0o600 });
  try {
    for await (const piece of source) {
      if (!out.write(piece)) await once(out, "drain");
      yield piece;
    }
  } finally {
    out.end();
    await once(out, "close");
  }
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** S3 allows 10,000 parts: large files get larger parts (in whole MiB), keeping a margin for the header. */
export function partSizeFor(objectBytes: number, configured: number): number {
  const MiB = 1024 * 1024;
  return Math.max(configured, Math.ceil(objectBytes / 9_000 / MiB) * MiB);
}

function signatureInvalid(message: string): Cce4longError {
  return new Cce4longError("UPLOAD_SIGNATURE_INVALID", message);
}

function stateInvalid(message: string): Cce4longError {
  return new Cce4longError("UPLOAD_STATE_INVALID", message);
}
