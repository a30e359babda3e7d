/**
 * Child process of the ingest benchmark (bench/benches/ingest.ts; development machines only): runs one
 * ingest of a staged upload, or the raw-copy reference, against a real S3 endpoint in its own process
 * (or a local folder) so that its peak RSS is its own. Keys are fixed benchmark values; the chain is an in-memory stand-in.
 * Prints one JSON line: { ms, maxRssMiB, cpuMs, bytes, outcome }.
 */
import { tmpdir } from "node:os";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { keyFingerprint } from "@cce4long/sealing/keys/derive";
import { z } from "zod";
import { DEFAULT_DERIVED_BUILDERS } from "./derived";
import { FsObjectStore } from "./fs-object-store";
import { type DatasetVersionChain, ingestUpload } from "./ingest-upload";
import { S3ObjectStore } from "./object-store";
import { writeObjectStream } from "./object-writer";

const Config = z.object({
  mode: z.enum(["ingest", "copy"]),
  /** "s3": the endpoint below; "fs": a local folder (FsObjectStore), to see ingest's own cost. */
  store: z.enum(["s3", "fs"]),
  fsRoot: z.string().optional(),
  endpoint: z.string(),
  accessKeyId: z.string(),
  secretAccessKey: z.string(),
  datasetId: z.string(),
  uploadId: z.string(),
  provider: z.string(),
  stagedKey: z.string(),
  datasetKeyHex: z.string().length(64),
  ingestPrivateKeyHex: z.string().length(64),
  partBytes: z.number().int(),
  /** The EIP-712 domain the bench signed the session in (the provider's signature is checked). */
  chainId: z.number().int(),
  hub: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  inFlight: z.number().int(),
});

const config = Config.parse(JSON.parse(process.env.CCE4LONG_INGEST_BENCH ?? "{}"));
const store =
  config.store === "fs"
    ? new FsObjectStore(config.fsRoot ?? tmpdir())
    : new S3ObjectStore({ ...config, region: "us-east-1" });
const write = { partSize: config.partBytes, maxInFlight: config.inFlight };
const started = performance.now();
let outcome: unknown;
let bytes = 0;

if (config.mode === "copy") {
  const source = await store.getStream(BUCKETS.staging, config.stagedKey);
  if (source === null) throw new Error("staged object missing");
  const written = await writeObjectStream(
    store,
    BUCKETS.datasets,
    `bench-copy/${config.uploadId}`,
    source,
    write,
  );
  bytes = written.bytes;
  outcome = { kind: "copied" };
} else {
  const versions: string[] = [];
  const chain: DatasetVersionChain = {
    dataset: async () => ({ provider: config.provider, retired: false }),
    findVersion: async (_id, root) =>
      versions.includes(root) ? { version: versions.indexOf(root) + 1 } : null,
    commitVersion: async (_id, root) => {
      versions.push(root);
      return { version: versions.length, transactionHash: `0x${"00".repeat(32)}` };
    },
  };
  outcome = await ingestUpload(
    {
      store,
      buckets: { staging: BUCKETS.staging, datasets: BUCKETS.datasets },
      datasetKeyForWrite: async (datasetId) => {
        const key = Uint8Array.from(Buffer.from(config.datasetKeyHex, "hex"));
        return { datasetId, keyVersion: 1, key, fingerprint: keyFingerprint(key), wipe: () => key.fill(0) };
      },
      ingestPrivateKey: async () => Uint8Array.from(Buffer.from(config.ingestPrivateKeyHex, "hex")),
      chain,
      signatureDomain: { chainId: config.chainId, hub: config.hub as `0x${string}` },
      derived: DEFAULT_DERIVED_BUILDERS,
      log: () => {},
      now: () => new Date(),
      tempDir: tmpdir(),
      write,
    },
    {
      type: "ingest.requested",
      version: 1,
      uploadId: config.uploadId,
      datasetId: config.datasetId,
      provider: config.provider,
      submittedAt: new Date().toISOString(),
    },
  );
}

const ms = performance.now() - started;
const usage = process.resourceUsage();
// CPU of the whole process (every thread: the thread pool's digests and file I/O included), in ms.
const cpuMs = { user: usage.userCPUTime / 1000, system: usage.systemCPUTime / 1000 };
process.stdout.write(`${JSON.stringify({ ms, maxRssMiB: usage.maxRSS / 1024, cpuMs, bytes, outcome })}\n`);
