/**
 * Benchmark of the encrypted file format (runs on the developer's machine or in CI via `npm run bench`):
 * encrypt/decrypt throughput, whole-buffer and streaming, 64 KiB chunks, 256 MiB, against `openssl speed
 * -evp aes-256-gcm` at the same block size in the same run; and random-range decrypt latency.
 */
import { spawnSync } from "node:child_process";
import {
  bufferReader,
  DEFAULT_CHUNK_SIZE,
  decryptBuffer,
  decryptRange,
  decryptStream,
  encryptBuffer,
  encryptStream,
  openSealedFile,
} from "@cce4long/sealing";
import type { Benchmark, Measurement } from "../types";

const TOTAL = 256 * 1024 * 1024;
const ROUNDS = 3;
const KEY = new Uint8Array(32).fill(7);
const OPTIONS = { key: KEY, datasetId: "bench-dataset", chunkSize: DEFAULT_CHUNK_SIZE };

/** `openssl speed` at 64 KiB blocks, in MB/s (10^6 bytes/s), parsed from its last line ("...k" = 1000s of B/s). */
function opensslMBps(decrypt: boolean): number {
  const args = [
    "speed",
    ...(decrypt ? ["-decrypt"] : []),
    "-evp",
    "aes-256-gcm",
    "-bytes",
    "65536",
    "-seconds",
    "2",
  ];
  const result = spawnSync("openssl", args, { encoding: "utf8" });
  const match = /AES-256-GCM\s+([\d.]+)k\s*$/m.exec(result.stdout ?? "");
  if (result.status !== 0 || !match)
    throw new Error(`openssl speed failed: ${result.stderr || result.stdout}`);
  return (Number(match[1]) * 1000) / 1e6;
}

/**
 * Best of ROUNDS runs, in MB/s of CPU time (user + system of this process). `openssl speed` also divides
 * by CPU time (it has `-elapsed` for wall-clock), so the two stay comparable on a machine shared with
 * other work, where wall-clock figures mostly measure the neighbours.
 */
async function bestMBps(bytes: number, action: () => unknown): Promise<number> {
  let best = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const before = process.cpuUsage();
    await action();
    const used = process.cpuUsage(before);
    best = Math.max(best, bytes / 1e6 / ((used.user + used.system) / 1e6));
  }
  return best;
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of source);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const benchmark: Benchmark = {
  name: "file-format",
  description: "encrypted file format: throughput vs openssl aes-256-gcm (64 KiB), random-range latency",
  async run(): Promise<Measurement[]> {
    const opensslEnc = {
      name: "openssl speed -evp aes-256-gcm -bytes 65536",
      value: opensslMBps(false),
      unit: "MB/s",
    };
    const opensslDec = {
      name: "openssl speed -decrypt -evp aes-256-gcm -bytes 65536",
      value: opensslMBps(true),
      unit: "MB/s",
    };
    const goal = { on: "ratio", op: ">=", target: 0.6, text: "at least 60% of openssl" } as const;

    const plaintext = new Uint8Array(TOTAL);
    for (let i = 0; i < TOTAL; i += 4096) plaintext[i] = i & 0xff;
    // The whole-buffer path must materialise a fresh 256 MiB result: page faults and RAM writes, not the
    // cipher, bound it here. Allocating and filling 256 MiB alone is measured as that floor for the notes.
    const memoryFloor = await bestMBps(TOTAL, () => new Uint8Array(TOTAL).fill(1));
    const floorNote = `256 MiB, best of 3, CPU time; memory-bound: allocating+filling a fresh 256 MiB alone runs at ${Math.round(memoryFloor)} MB/s here`;
    let sealed: Uint8Array = new Uint8Array(0);
    const encBuffer = await bestMBps(TOTAL, () => {
      sealed = encryptBuffer(plaintext, OPTIONS);
    });
    const decBuffer = await bestMBps(TOTAL, () => decryptBuffer(sealed, KEY));
    const encStream = await bestMBps(TOTAL, () =>
      drain(encryptStream(pieces(plaintext, 1024 * 1024), { ...OPTIONS, plaintextLength: TOTAL })),
    );
    const decStream = await bestMBps(TOTAL, () => drain(decryptStream(pieces(sealed, 1024 * 1024), KEY)));

    // Random 4 KiB reads on an open file (what the FUSE does), and one-shot decryptRange (header verified each time).
    const reader = bufferReader(sealed);
    const opened = await openSealedFile(reader, KEY);
    const latencies = (n: number, read: (start: number) => Promise<unknown>) => async () => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = Math.floor(Math.random() * (TOTAL - 4096));
        const t = performance.now();
        await read(start);
        out.push((performance.now() - t) * 1000);
      }
      return out.sort((a, b) => a - b);
    };
    const openReads = await latencies(5000, (s) => opened.read(s, s + 4096))();
    const oneShot = await latencies(2000, (s) => decryptRange(reader, KEY, s, s + 4096))();
    opened.close();
    const chunkAtOpenssl = {
      name: "one 64 KiB block at openssl's decrypt speed",
      value: 65536 / opensslDec.value,
      unit: "µs",
    };
    // Decrypting the one 64 KiB chunk that holds a 4 KiB range is the floor; allow 3x for header work and copies.
    const latencyGoal = {
      on: "ratio",
      op: "<=",
      target: 3,
      text: "p50 within 3x of one chunk at openssl speed",
    } as const;

    const mb = (v: number) => Math.round(v);
    return [
      {
        name: "file-format.encrypt.buffer.64KiB",
        value: mb(encBuffer),
        unit: "MB/s",
        reference: opensslEnc,
        goal,
        notes: floorNote,
      },
      {
        name: "file-format.decrypt.buffer.64KiB",
        value: mb(decBuffer),
        unit: "MB/s",
        reference: opensslDec,
        goal,
        notes: floorNote,
      },
      {
        name: "file-format.encrypt.stream.64KiB",
        value: mb(encStream),
        unit: "MB/s",
        reference: opensslEnc,
        goal,
        notes: "256 MiB in 1 MiB pieces, best of 3, CPU time",
      },
      {
        name: "file-format.decrypt.stream.64KiB",
        value: mb(decStream),
        unit: "MB/s",
        reference: opensslDec,
        goal,
        notes: "256 MiB in 1 MiB pieces, best of 3, CPU time",
      },
      {
        name: "file-format.range-4KiB.open-file.p50",
        value: Number(percentile(openReads, 0.5).toFixed(1)),
        unit: "µs",
        reference: chunkAtOpenssl,
        goal: latencyGoal,
        notes: `wall-clock; p99 ${percentile(openReads, 0.99).toFixed(1)} µs (scheduling on a shared machine), 5000 random reads`,
      },
      {
        name: "file-format.range-4KiB.decryptRange.p50",
        value: Number(percentile(oneShot, 0.5).toFixed(1)),
        unit: "µs",
        reference: chunkAtOpenssl,
        notes: `one-shot (verifies the header each call); p99 ${percentile(oneShot, 0.99).toFixed(1)} µs`,
      },
    ];
  },
};

export default benchmark;
