/**
 * Decrypting FUSE read throughput (issue 6): a 256 MiB dataset file read sequentially through the
 * decrypting FUSE, beside the same plaintext read directly and through a plain passthrough FUSE,
 * all in this run. Reads happen in a child process (dd): the mounts are served by this process.
 * The two FUSE mounts are read alternately (passthrough, decrypting, passthrough, ...) so a change of
 * machine load hits both alike; the CPU time this process spends serving each read is reported too,
 * as it is what decides the ratio on a machine without idle cores.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { encryptBuffer } from "@cce4long/sealing";
import { mountDecrypting } from "../../cvm-image/src/fuse/decrypting-fs";
import { mountPassthrough } from "../../cvm-image/src/fuse/passthrough-fs";
import type { Benchmark, Measurement } from "../types";

const SIZE = 256 * 1024 * 1024;
const MB = 1_000_000;

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

const RUNS = 3;
const best = (results: ReadResult[]) => Math.max(...results.map((r) => r.rate));
const leastCpu = (results: ReadResult[]) => Math.min(...results.map((r) => r.cpuMs));

const bench: Benchmark = {
  name: "fuse",
  description: "decrypting FUSE sequential read vs direct read and passthrough FUSE (256 MiB)",
  async run(): Promise<Measurement[]> {
    const root = mkdtempSync(join(tmpdir(), "cce4long-bench-fuse-"));
    const key = randomBytes(32);
    const plainDir = join(root, "plain");
    const lowerDir = join(root, "lower");
    mkdirSync(plainDir);
    mkdirSync(lowerDir);
    const plaintext = randomBytes(SIZE);
    writeFileSync(join(plainDir, "data.bin"), plaintext);
    writeFileSync(join(lowerDir, "data.bin"), encryptBuffer(plaintext, { key, datasetId: "bench" }));
    const decrypting = await mountDecrypting({
      mountpoint: join(root, "decrypted"),
      files: [{ path: "data.bin", lowerPath: join(lowerDir, "data.bin") }],
      keyFor: () => key,
    });
    const passthrough = await mountPassthrough(plainDir, join(root, "passthrough"));
    try {
      // The direct read goes through the page cache (warm after the first run): an upper bound.
      const direct: ReadResult[] = [];
      for (let i = 0; i < RUNS; i++) direct.push(await ddRead(join(plainDir, "data.bin")));
      const passthroughRuns: ReadResult[] = [];
      const decryptingRuns: ReadResult[] = [];
      for (let i = 0; i < RUNS; i++) {
        passthroughRuns.push(await ddRead(join(root, "passthrough", "data.bin")));
        decryptingRuns.push(await ddRead(join(root, "decrypted", "data.bin")));
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
      ];
    } finally {
      await decrypting.unmount();
      await passthrough.unmount();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default bench;
