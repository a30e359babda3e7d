/**
 * End-to-end ingest benchmark (runs on the developer's machine via `npm run bench -- ingest`): a staged
 * upload envelope in the local S3 object store -> committed version (decrypt, re-encrypt under the dataset
 * key, SHA-256, multipart write, manifest, staging deleted), in its own process for an honest peak RSS.
 * Reference in the same run: a raw copy of the same staged bytes through the same store. Measured twice:
 * through the local S3 stand-in, and through a local-folder ObjectStore that shows ingest's own cost.
 * Size: CCE4LONG_BENCH_INGEST_BYTES (default 2 GiB); CCE4LONG_BENCH_INGEST_STORES=fs (or s3) runs one
 * store only (the 10 GiB run uses fs: the S3 stand-in takes minutes per GiB);
 * CCE4LONG_BENCH_INGEST_NODE_ARGS passes flags to both worker processes (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to see where the time goes). The chain is an in-memory stand-in (one anvil
 * transaction adds ~10 ms); the file is binary, so no fingerprints are built (CSV tables add that cost).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { signUploadAuthorization } from "@cce4long/cli/sdk/upload-authorization";
import { SegmentedSha256, UPLOAD_KEYS, type UploadSessionRecord } from "@cce4long/protocol";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { x25519PublicKey } from "@cce4long/sealing/keys/derive";
import { privateKeyToAccount } from "viem/accounts";
import { sealEnvelope } from "../../enclave-runtime/src/ingest/envelope";
import { FsObjectStore } from "../../enclave-runtime/src/ingest/fs-object-store";
import type { ObjectStore } from "../../enclave-runtime/src/ingest/object-store";
import { writeObjectStream } from "../../enclave-runtime/src/ingest/object-writer";
import { startBenchObjectStore } from "../local-object-store";
import type { Benchmark, Measurement } from "../types";

const REPO = resolve(import.meta.dirname, "..", "..");
const MiB = 1024 * 1024;
const PART_BYTES = 8 * MiB;
const IN_FLIGHT = 3;

interface WorkerResult {
  ms: number;
  maxRssMiB: number;
  bytes: number;
  outcome: { kind: string };
}

/** Pseudo-random plaintext in 1 MiB pieces (incompressible, like real ciphertext-sized data). */
async function* plaintext(total: number): AsyncGenerator<Uint8Array> {
  const block = randomBytes(MiB);
  for (let at = 0; at < total; at += MiB) {
    block[0] = at & 0xff;
    yield block.subarray(0, Math.min(MiB, total - at));
  }
}

async function* hashed(source: AsyncIterable<Uint8Array>, digest: SegmentedSha256) {
  for await (const piece of source) {
    await digest.update(piece);
    yield piece;
  }
}

function runWorker(config: Record<string, unknown>): Promise<WorkerResult> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the ingest and copy processes.
        ...(process.env.CCE4LONG_BENCH_INGEST_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== ""),
        "--import",
        "tsx",
        join(REPO, "enclave-runtime/src/ingest/bench-worker.ts"),
      ],
      {
        cwd: REPO,
        env: { ...process.env, CCE4LONG_INGEST_BENCH: JSON.stringify(config) },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0) return fail(new Error(`bench worker failed (${code}): ${err.slice(-2000)}`));
      done(JSON.parse(line) as WorkerResult);
    });
  });
}

const benchmark: Benchmark = {
  name: "ingest",
  description:
    "End-to-end ingest (staged envelope -> committed version) vs a raw copy through the object store",
  async run(): Promise<Measurement[]> {
    const size = Number(process.env.CCE4LONG_BENCH_INGEST_BYTES ?? 2 * 1024 * MiB);
    const dir = mkdtempSync(join(tmpdir(), "cce4long-bench-ingest-"));
    const objectStore = await startBenchObjectStore(dir, [BUCKETS.staging, BUCKETS.datasets]);
    const { endpoint } = objectStore;
    try {
      const s3 = objectStore.client;
      const fsRoot = join(dir, "fs-store");
      const fs = new FsObjectStore(fsRoot);
      const datasetId = `0x${"be".repeat(32)}`;
      // The provider signs the session as its client would (ingest checks the signature and every hash).
      const providerAccount = privateKeyToAccount(`0x${randomBytes(32).toString("hex")}`);
      const provider = providerAccount.address;
      const domain = { chainId: 31337, hub: `0x${"4b".repeat(20)}` as const };
      const ingestPrivate = randomBytes(32);
      const measure = async (kind: "s3" | "fs", store: ObjectStore) => {
        const uploadId = randomBytes(16).toString("hex");
        const stagedKey = UPLOAD_KEYS.staged(datasetId, uploadId, 0);
        // Stage as a provider's client would: the envelope, streamed in parts, hashed as it is sent.
        const digest = new SegmentedSha256();
        const staged = await writeObjectStream(
          store,
          BUCKETS.staging,
          stagedKey,
          hashed(
            sealEnvelope(plaintext(size), {
              datasetId,
              uploadId,
              path: "bench.bin",
              ingestPublicKey: x25519PublicKey(ingestPrivate),
              ingestKeyVersion: 1,
              plaintextLength: size,
            }),
            digest,
          ),
          { partSize: PART_BYTES, maxInFlight: IN_FLIGHT },
        );
        const session: UploadSessionRecord = {
          uploadId,
          datasetId: datasetId as `0x${string}`,
          provider,
          createdAt: new Date().toISOString(),
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          completedAt: new Date().toISOString(),
          files: [
            {
              index: 0,
              path: "bench.bin",
              size: staged.bytes,
              objectKey: stagedKey,
              multipartUploadId: null,
              partSize: null,
            },
          ],
          authorization: await signUploadAuthorization(providerAccount, {
            ...domain,
            datasetId,
            uploadId,
            files: [{ index: 0, path: "bench.bin", size: staged.bytes, sha256: await digest.digest() }],
          }),
        };
        await store.put(
          BUCKETS.staging,
          UPLOAD_KEYS.session(uploadId),
          new TextEncoder().encode(JSON.stringify(session)),
        );
        const common = {
          store: kind,
          fsRoot,
          endpoint,
          ...objectStore.credentials,
          datasetId,
          uploadId,
          provider,
          stagedKey,
          datasetKeyHex: randomBytes(32).toString("hex"),
          ingestPrivateKeyHex: ingestPrivate.toString("hex"),
          partBytes: PART_BYTES,
          inFlight: IN_FLIGHT,
          ...domain,
        };
        // Reference first (ingest deletes the staged object at the end).
        const copy = await runWorker({ ...common, mode: "copy" });
        await store.delete(BUCKETS.datasets, `bench-copy/${uploadId}`);
        const ingest = await runWorker({ ...common, mode: "ingest" });
        if (ingest.outcome.kind !== "committed")
          throw new Error(`ingest did not commit: ${JSON.stringify(ingest.outcome)}`);
        await store.delete(BUCKETS.datasets, UPLOAD_KEYS.dataFile(datasetId, uploadId, 0));
        return { copy, ingest };
      };

      const mbps = (ms: number) => size / 1e6 / (ms / 1000);
      const label = `${(size / MiB).toFixed(0)}MiB`;
      const rows: Measurement[] = [];
      const wanted = (process.env.CCE4LONG_BENCH_INGEST_STORES ?? "s3,fs").split(",");
      const stores = (
        [
          ["s3", s3, "through the local S3 stand-in (s3rver behind the SigV4 front)"],
          ["fs", fs, "through a local-folder ObjectStore (ingest's own cost)"],
        ] as const
      ).filter(([kind]) => wanted.includes(kind));
      if (stores.length === 0) throw new Error("CCE4LONG_BENCH_INGEST_STORES names neither s3 nor fs");
      for (const [kind, store, where] of stores) {
        const { copy, ingest } = await measure(kind, store);
        rows.push(
          {
            name: `ingest.${kind}.throughput.${label}`,
            value: mbps(ingest.ms),
            unit: "MB/s",
            reference: {
              name: `raw copy of the same staged bytes, ${kind}`,
              value: mbps(copy.ms),
              unit: "MB/s",
            },
            goal: { on: "value", op: ">=", target: 300, text: "at least 300 MB/s (issue 4)" },
            notes: `${where}; plaintext ${label}, parts ${PART_BYTES / MiB} MiB x ${IN_FLIGHT} in flight; ingest ${(ingest.ms / 1000).toFixed(1)} s, copy ${(copy.ms / 1000).toFixed(1)} s`,
          },
          {
            name: `ingest.${kind}.peak-rss.${label}`,
            value: ingest.maxRssMiB,
            unit: "MiB",
            reference: { name: `peak RSS of the raw copy, ${kind}`, value: copy.maxRssMiB, unit: "MiB" },
            goal: { on: "value", op: "<=", target: 256, text: "under 256 MiB (issue 4)" },
            notes: "whole ingest process, Node and tsx included",
          },
        );
      }
      return rows;
    } finally {
      await objectStore.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default benchmark;
