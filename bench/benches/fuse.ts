/**
 * Decrypting FUSE read throughput (issue 6): a 256 MiB dataset file read sequentially through the
 * decrypting FUSE, beside the same plaintext read directly and through a plain passthrough FUSE,
 * all in this run. Reads happen in a child process (dd): the mounts are served by this process.
 * The two FUSE mounts are read alternately (passthrough, decrypting, passthrough, ...) so a change of
 * machine load hits both alike; the CPU time this process spends serving each read is reported too,
 * as it is what decides the ratio on a machine without idle cores.
 *
 * The same encrypted file is also put into the local object store (s3rver behind the SigV4 front, in
 * its own process) and read through the decrypting FUSE over the object-store lower layer (ranged GETs
 * on a presigned URL, as every job reads its data), against the folder lower layer in the same run;
 * the raw ranged-GET rate of the store (no FUSE, no decryption) shows the ceiling it sets, and the
 * same reader against a plain HTTP range server (bench/range-file-server.ts) shows our own ceiling.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import { encryptBuffer } from "@cce4long/sealing";
import { mountDecrypting } from "../../cvm-image/src/fuse/decrypting-fs";
import { objectStoreLowerLayer } from "../../cvm-image/src/fuse/object-store-lower-layer";
import { mountPassthrough } from "../../cvm-image/src/fuse/passthrough-fs";
import { OBJECT_STORE_READ_AHEAD } from "../../cvm-image/src/fuse/read-ahead";
import { startBenchObjectStore } from "../local-object-store";
import type { Benchmark, Measurement } from "../types";

const SIZE = 256 * 1024 * 1024;
const MB = 1_000_000;
const REPO = resolve(import.meta.dirname, "..", "..");
const OBJECT_KEY = "bench/data.c4le";

const execFileAsync = promisify(execFile);

interface ReadResult {
  /** MB/s of this read. */
  rate: number;
  /** CPU milliseconds this process (the FUSE server) spent during it. */
  cpuMs: number;
}

/**
 * One sequential read of `path` by dd. Asynchronous on purpose: this process serves the FUSE mounts,
 * so blocking its event loop on a read of them would deadlock.
 */
async function ddRead(path: string): Promise<ReadResult> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await execFileAsync("dd", [`if=${path}`, "of=/dev/null", "bs=1M"]);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: SIZE / MB / seconds, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * The store's own ceiling: the object read with ranged GETs of the read-ahead's request size, as many in
 * flight as the read-ahead keeps (no FUSE, no decryption), into one reused buffer per request.
 */
async function rawRangedRead(url: string): Promise<ReadResult> {
  const file = await objectStoreLowerLayer({ objects: [{ path: "data.bin", url }] }).open("data.bin");
  const request = OBJECT_STORE_READ_AHEAD.fetchBytes ?? 4 * 1024 * 1024;
  const inFlight = Math.floor(OBJECT_STORE_READ_AHEAD.aheadBytes / request);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      const buffer = Buffer.allocUnsafe(request);
      while (next < file.size) {
        const at = next;
        next += request;
        await file.read(buffer, request, at);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: file.size / MB / seconds, cpuMs: (used.user + used.system) / 1000 };
}

/** Starts range-file-server.ts on `path`; resolves with its URL and a stop function. */
async function startRangeServer(path: string): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO, "bench/range-file-server.ts"), path], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (data: Buffer) => resolve(data.toString().trim()));
    child.once("exit", (code) => reject(new Error(`range server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/data.c4le`, stop: () => child.kill("SIGTERM") };
}

const RUNS = 3;
const best = (results: ReadResult[]) => Math.max(...results.map((r) => r.rate));
const leastCpu = (results: ReadResult[]) => Math.min(...results.map((r) => r.cpuMs));

const bench: Benchmark = {
  name: "fuse",
  description:
    "decrypting FUSE sequential read vs direct read and passthrough FUSE; over object storage vs a folder (256 MiB)",
  async run(): Promise<Measurement[]> {
    const root = mkdtempSync(join(tmpdir(), "cce4long-bench-fuse-"));
    const key = randomBytes(32);
    const plainDir = join(root, "plain");
    const lowerDir = join(root, "lower");
    mkdirSync(plainDir);
    mkdirSync(lowerDir);
    const plaintext = randomBytes(SIZE);
    writeFileSync(join(plainDir, "data.bin"), plaintext);
    const sealed = encryptBuffer(plaintext, { key, datasetId: "bench" });
    writeFileSync(join(lowerDir, "data.bin"), sealed);
    const objectStore = await startBenchObjectStore(root, [BUCKETS.datasets]);
    const store = objectStore.client;
    await store.put(BUCKETS.datasets, OBJECT_KEY, sealed);
    const url = await store.presignGet(BUCKETS.datasets, OBJECT_KEY, 3600);
    const decrypting = await mountDecrypting({
      mountpoint: join(root, "decrypted"),
      files: [{ path: "data.bin", lowerPath: join(lowerDir, "data.bin") }],
      keyFor: () => key,
    });
    const overObjects = await mountDecrypting({
      mountpoint: join(root, "decrypted-objects"),
      files: [{ path: "data.bin", lowerPath: "data.bin" }],
      lower: objectStoreLowerLayer({ objects: [{ path: "data.bin", url }] }),
      readAhead: OBJECT_STORE_READ_AHEAD,
      keyFor: () => key,
    });
    const rangeServer = await startRangeServer(join(lowerDir, "data.bin"));
    const overPlainHttp = await mountDecrypting({
      mountpoint: join(root, "decrypted-http"),
      files: [{ path: "data.bin", lowerPath: "data.bin" }],
      lower: objectStoreLowerLayer({ objects: [{ path: "data.bin", url: rangeServer.url }] }),
      readAhead: OBJECT_STORE_READ_AHEAD,
      keyFor: () => key,
    });
    const passthrough = await mountPassthrough(plainDir, join(root, "passthrough"));
    try {
      // The direct read goes through the page cache (warm after the first run): an upper bound.
      const direct: ReadResult[] = [];
      for (let i = 0; i < RUNS; i++) direct.push(await ddRead(join(plainDir, "data.bin")));
      const passthroughRuns: ReadResult[] = [];
      const decryptingRuns: ReadResult[] = [];
      const objectRuns: ReadResult[] = [];
      const rawRuns: ReadResult[] = [];
      const plainHttpRuns: ReadResult[] = [];
      const rawPlainRuns: ReadResult[] = [];
      for (let i = 0; i < RUNS; i++) {
        passthroughRuns.push(await ddRead(join(root, "passthrough", "data.bin")));
        decryptingRuns.push(await ddRead(join(root, "decrypted", "data.bin")));
        objectRuns.push(await ddRead(join(root, "decrypted-objects", "data.bin")));
        rawRuns.push(await rawRangedRead(url));
        plainHttpRuns.push(await ddRead(join(root, "decrypted-http", "data.bin")));
        rawPlainRuns.push(await rawRangedRead(rangeServer.url));
      }
      const viaPassthrough = best(passthroughRuns);
      const viaDecrypting = best(decryptingRuns);
      const runs = (results: ReadResult[]) => results.map((r) => Math.round(r.rate)).join("/");
      return [
        {
          name: "fuse.decrypting.read",
          value: viaDecrypting,
          unit: "MB/s",
          reference: { name: "passthrough FUSE", value: viaPassthrough, unit: "MB/s" },
          goal: { on: "ratio", op: ">=", target: 0.8, text: ">= 80% of passthrough FUSE" },
          notes: `best of ${RUNS} alternating reads; decrypting ${runs(decryptingRuns)}, passthrough ${runs(passthroughRuns)} MB/s`,
        },
        {
          name: "fuse.decrypting.server-cpu",
          value: leastCpu(decryptingRuns),
          unit: "ms CPU / 256 MiB",
          reference: {
            name: "passthrough FUSE server",
            value: leastCpu(passthroughRuns),
            unit: "ms CPU / 256 MiB",
          },
          notes:
            "CPU of the serving process per read (least of the runs): decryption's cost without the load's noise",
        },
        {
          name: "fuse.decrypting.read.absolute",
          value: viaDecrypting,
          unit: "MB/s",
          reference: { name: "direct read (page cache)", value: best(direct), unit: "MB/s" },
          goal: { on: "value", op: ">=", target: 600, text: ">= 600 MB/s" },
        },
        {
          name: "fuse.decrypting.object-store.read",
          value: best(objectRuns),
          unit: "MB/s",
          reference: { name: "decrypting FUSE over a folder", value: viaDecrypting, unit: "MB/s" },
          notes: `best of ${RUNS}; over object storage ${runs(objectRuns)} MB/s (ranged GETs of 4 MiB, up to 4 in flight, on a presigned URL to the local s3rver stand-in)`,
        },
        {
          name: "fuse.decrypting.object-store.vs-raw-store",
          value: best(objectRuns),
          unit: "MB/s",
          reference: { name: "raw ranged GETs of the same object", value: best(rawRuns), unit: "MB/s" },
          notes: `the store's ceiling: raw ${runs(rawRuns)} MB/s (no FUSE, no decryption, same request size and depth); serving CPU over objects ${Math.round(leastCpu(objectRuns))} ms (raw reads ${Math.round(leastCpu(rawRuns))} ms) vs over a folder ${Math.round(leastCpu(decryptingRuns))} ms per 256 MiB`,
        },
        {
          name: "fuse.decrypting.plain-http.read",
          value: best(plainHttpRuns),
          unit: "MB/s",
          reference: {
            name: "raw ranged GETs, plain HTTP range server",
            value: best(rawPlainRuns),
            unit: "MB/s",
          },
          notes: `the reader without s3rver: over a plain range server ${runs(plainHttpRuns)} MB/s, raw ${runs(rawPlainRuns)} MB/s; serving CPU ${Math.round(leastCpu(plainHttpRuns))} ms (raw reads ${Math.round(leastCpu(rawPlainRuns))} ms) per 256 MiB`,
        },
      ];
    } finally {
      await decrypting.unmount();
      await overObjects.unmount();
      await overPlainHttp.unmount();
      rangeServer.stop();
      await passthrough.unmount();
      await objectStore.stop();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default bench;
