/**
 * A small persistent pool of gate scan worker threads (runs inside the TEE, in the Privacy Plane's
 * process). Workers start on first use and stay (unref'd while idle, so they never keep the process
 * alive); each runs one slice at a time and further slices wait in order. A worker that crashes,
 * exits, answers with an error or takes longer than the slice timeout fails its slice with
 * GATE_SCAN_FAILED, and is replaced on next use: the gate run then fails closed, it never turns into
 * an approval, and a hung worker cannot hold a job's review forever.
 */

import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { Cce4longError } from "@cce4long/protocol";
import type { LeakageScan } from "../fingerprints/scan";
import type { ScanSliceReply, ScanSliceRequest } from "./messages";

/** More workers than this gain little (memory bandwidth) and take cores from the rest of the TEE. */
export const MAX_SCAN_WORKERS = 4;

/**
 * How long one slice may take. A slice is at most a few MB of a capped output set and scans at tens of
 * MB/s, so a minute means the worker is stuck, not slow.
 */
export const DEFAULT_SLICE_TIMEOUT_MS = 60_000;

export interface WorkerEntry {
  url: URL;
  execArgv: string[];
}

/**
 * The worker's entry: from the sources (tsx in development and tests) scan-worker.ts through the
 * tsx loader; from the reproducible bundle, gate-scan-worker.mjs in the bundle's folder.
 */
export function defaultWorkerEntry(): WorkerEntry {
  if (import.meta.url.endsWith(".ts")) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
    return { url: new URL("./scan-worker.ts", import.meta.url), execArgv: ["--import", tsx] };
  }
  return { url: new URL("./gate-scan-worker.mjs", import.meta.url), execArgv: [] };
}

export interface ScanWorkerPoolOptions {
  size?: number;
  entry?: WorkerEntry;
  sliceTimeoutMs?: number;
}

interface Task {
  request: Omit<ScanSliceRequest, "id">;
  resolve: (scan: LeakageScan) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  task: (Task & { id: number }) | null;
  timer: ReturnType<typeof setTimeout> | null;
}

function scanFailed(reason: string, detail: Record<string, unknown> = {}): Cce4longError {
  return new Cce4longError("GATE_SCAN_FAILED", `A gate scan worker failed: ${reason}`, { detail });
}

export class ScanWorkerPool {
  readonly size: number;
  readonly #entry: WorkerEntry;
  readonly #sliceTimeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: ScanWorkerPoolOptions = {}) {
    this.size = Math.max(1, Math.min(MAX_SCAN_WORKERS, options.size ?? availableParallelism()));
    this.#entry = options.entry ?? defaultWorkerEntry();
    this.#sliceTimeoutMs = options.sliceTimeoutMs ?? DEFAULT_SLICE_TIMEOUT_MS;
  }

  /** Scans one slice in a worker. The request's tag key buffer is transferred (detached here). */
  scan(request: Omit<ScanSliceRequest, "id">): Promise<LeakageScan> {
    if (this.#closed) {
      request.tagKey.fill(0);
      return Promise.reject(scanFailed("the pool is closed"));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; their slices fail with GATE_SCAN_FAILED. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) {
      task.request.tagKey.fill(0);
      task.reject(scanFailed("the pool is closed"));
    }
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  /** Workers running now (started lazily; a failed one is gone until replaced). */
  get workers(): number {
    return this.#slots.length;
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.task === null);
      if (slot === undefined) {
        if (this.#slots.length >= this.size) return;
        slot = this.#start();
      }
      const task = this.#queue.shift()!;
      const id = this.#nextId++;
      slot.task = { ...task, id };
      const owner = slot;
      slot.timer = setTimeout(
        () => this.#fail(owner, scanFailed("it took too long", { timeoutMs: this.#sliceTimeoutMs })),
        this.#sliceTimeoutMs,
      );
      slot.worker.ref();
      const message: ScanSliceRequest = { ...task.request, id };
      try {
        slot.worker.postMessage(message, [task.request.tagKey.buffer as ArrayBuffer]);
      } catch (error) {
        task.request.tagKey.fill(0);
        this.#fail(slot, scanFailed("the slice could not be sent", { error: (error as Error).name }));
      }
    }
  }

  #start(): Slot {
    const worker = new Worker(this.#entry.url, { execArgv: this.#entry.execArgv });
    const slot: Slot = { worker, task: null, timer: null };
    this.#slots.push(slot);
    worker.on("message", (reply: ScanSliceReply) => this.#settle(slot, reply));
    worker.on("error", (error) => this.#fail(slot, scanFailed("it crashed", { error: error.name })));
    worker.on("messageerror", () => this.#fail(slot, scanFailed("its reply could not be read")));
    worker.on("exit", (code) => this.#fail(slot, scanFailed("it exited", { exitCode: code })));
    return slot;
  }

  #settle(slot: Slot, reply: ScanSliceReply): void {
    const task = slot.task;
    if (task === null || reply.id !== task.id) {
      this.#fail(slot, scanFailed("it answered a slice it was not given"));
      return;
    }
    slot.task = null;
    clearSlotTimer(slot);
    slot.worker.unref();
    if (reply.ok) task.resolve(reply.scan);
    else task.reject(scanFailed("the scan threw", { error: reply.errorName, code: reply.code }));
    this.#dispatch();
  }

  /** Fails the slot's slice, drops the worker (a fresh one starts when needed) and goes on with the queue. */
  #fail(slot: Slot, error: Cce4longError): void {
    const at = this.#slots.indexOf(slot);
    if (at < 0) return; // already dropped (an error is followed by an exit)
    this.#slots.splice(at, 1);
    const task = slot.task;
    slot.task = null;
    clearSlotTimer(slot);
    slot.worker.removeAllListeners("message");
    slot.worker.on("error", () => {}); // a terminated worker may still report; nothing waits on it
    void slot.worker.terminate();
    task?.reject(error);
    if (!this.#closed) this.#dispatch();
  }
}

function clearSlotTimer(slot: Slot): void {
  if (slot.timer !== null) clearTimeout(slot.timer);
  slot.timer = null;
}

let defaultPool: ScanWorkerPool | null = null;

/** The process's pool (size: available parallelism, at most MAX_SCAN_WORKERS), made on first use. */
export function defaultScanPool(): ScanWorkerPool {
  defaultPool ??= new ScanWorkerPool();
  return defaultPool;
}
