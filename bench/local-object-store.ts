/**
 * The project's local object store (s3rver behind its SigV4-checking front) started for one benchmark
 * run (developer machine or CI): its own process, on a free port, with throwaway credentials, and an
 * S3 client for it. The same server `npm start` runs; the benches that read or write through object
 * storage use this one helper.
 */
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { S3ObjectStore } from "../enclave-runtime/src/ingest/object-store";
import { freePort } from "../platform/src/ports";
import { httpProbe } from "../platform/src/process";
import { startNodeService } from "../platform/src/services/node-service";

const REPO = resolve(import.meta.dirname, "..");

export interface BenchObjectStore {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  client: S3ObjectStore;
  stop(): Promise<void>;
}

/** Starts the store with `buckets`, keeping its objects and log under `dir`. */
export async function startBenchObjectStore(
  dir: string,
  buckets: readonly string[],
): Promise<BenchObjectStore> {
  const credentials = {
    accessKeyId: "bench-access-key",
    secretAccessKey: `bench-secret-${randomBytes(8).toString("hex")}`,
  };
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const service = await startNodeService({
    name: "object-store (bench)",
    entry: join(REPO, "platform/src/object-store/main.ts"),
    env: {
      ...process.env,
      OBJECT_STORE_PORT: String(port),
      OBJECT_STORE_DIR: join(dir, "store"),
      OBJECT_STORE_ACCESS_KEY_ID: credentials.accessKeyId,
      OBJECT_STORE_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      OBJECT_STORE_BUCKETS: buckets.join(","),
    },
    logFile: join(dir, "object-store.log"),
    cwd: REPO,
    ready: httpProbe(`${endpoint}/__health`),
  });
  return {
    endpoint,
    credentials,
    client: new S3ObjectStore({ endpoint, region: "us-east-1", ...credentials }),
    stop: () => service.stop(),
  };
}
