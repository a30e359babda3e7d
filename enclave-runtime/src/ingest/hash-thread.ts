/**
 * SHA-256 computed on a worker thread (runs inside the TEE, for ingest): the thread that decrypts and
 * re-encrypts hands the bytes over instead of hashing them itself. Two digests use it: the plain,
 * sequential SHA-256 the manifest names each stored object by (ingest's object writer), and the
 * segmented SHA-256 of a staged envelope (docs/upload-envelope.md section 5.1) that the provider signed
 * (StagedDigest). One thread serves every open HashThread (a thread costs about 12 MiB of memory) and
 * stops when the last one closes. Bytes are transferred, not copied, where the caller can give its
 * buffer away; the thread sees what ingest reads or writes, never a key.
 */
import { Worker } from "node:worker_threads";

/**
 * The thread's code: plain JavaScript (no loader, no bundle of its own), node:crypto only. Every
 * message gets exactly one reply, in order. A stream with `segmentBytes` computes SHA-256 over that
 * many bytes at a time and, at the end, SHA-256 of the segment digests in order (an empty input being
 * one empty segment); without it, plain SHA-256.
 */
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const streams = new Map();
function update(s, bytes) {
  if (s.segmentBytes === null) return s.hash.update(bytes);
  let at = 0;
  while (at < bytes.length) {
    const count = Math.min(s.segmentBytes - s.filled, bytes.length - at);
    s.hash.update(bytes.subarray(at, at + count));
    s.filled += count;
    at += count;
    if (s.filled === s.segmentBytes) {
      s.segments.push(s.hash.digest());
      s.hash = createHash("sha256");
      s.filled = 0;
    }
  }
}
function digest(s) {
  if (s.segmentBytes === null) return s.hash.digest("hex");
  if (s.filled > 0 || s.segments.length === 0) s.segments.push(s.hash.digest());
  return createHash("sha256").update(Buffer.concat(s.segments)).digest("hex");
}
parentPort.on("message", (m) => {
  // A request for a stream this thread does not hold (a misuse by one caller) is answered with an
  // error for that caller alone: throwing here would end the thread for every stream.
  if (m.type !== "open" && !streams.has(m.id)) {
    parentPort.postMessage({ error: "no such stream (used after its digest or drop)" });
    return;
  }
  if (m.type === "open") {
    streams.set(m.id, { segmentBytes: m.segmentBytes, hash: createHash("sha256"), filled: 0, segments: [] });
    parentPort.postMessage({});
  } else if (m.type === "update") {
    update(streams.get(m.id), new Uint8Array(m.buffer, m.offset, m.length));
    parentPort.postMessage({ buffer: m.buffer }, [m.buffer]);
  } else if (m.type === "digest") {
    const hex = digest(streams.get(m.id));
    streams.delete(m.id);
    parentPort.postMessage({ hex });
  } else {
    streams.delete(m.id);
    parentPort.postMessage({});
  }
});
`;

interface Reply {
  buffer?: ArrayBuffer;
  hex?: string;
  error?: string;
}

/** The one thread and the handles using it. */
class SharedThread {
  readonly worker: Worker;
  /** Replies arrive in the order requests were sent (one thread, one queue). */
  readonly #waiting: { resolve(reply: Reply): void; reject(error: unknown): void }[] = [];
  #failure: unknown;
  users = 0;

  constructor() {
    // No inherited flags (a TypeScript loader would cost the thread tens of MiB for forty lines).
    this.worker = new Worker(THREAD_SOURCE, { eval: true, execArgv: [] });
    this.worker.on("message", (reply: Reply) => {
      const waiter = this.#waiting.shift();
      if (reply.error !== undefined) waiter?.reject(new Error(`hash thread: ${reply.error}`));
      else waiter?.resolve(reply);
    });
    const fail = (error: unknown) => {
      this.#failure ??= error;
      if (shared === this) shared = undefined;
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`the hash thread exited (${code})`)));
  }

  send(message: object, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }
}

let shared: SharedThread | undefined;
let nextId = 1;

/**
 * feed() copies into buffers of this size that go to the thread and come back to be reused: at most
 * FEED_BUFFERS of them per stream, so feed() waits once all are with the thread. (Buffers handed over
 * for good would be freed only when the thread collects garbage, which a thread this small hardly does.)
 */
const FEED_BUFFER_BYTES = 1024 * 1024;
const FEED_BUFFERS = 4;

/** One digest computed on the shared thread. Close it (also after digest()) to release the thread. */
export class HashThread {
  readonly #thread: SharedThread;
  readonly #id = nextId++;
  readonly #feedPool: Buffer[] = [];
  /** Feed buffers with the thread; each settles (and leaves the set) once its buffer is back in the pool. */
  readonly #feeding = new Set<Promise<void>>();
  #feedBuffers = 0;
  #feedBuffer: Buffer | undefined;
  #feedFilled = 0;
  #bytes = 0;
  #closed = false;
  #digested = false;
  /** The first failure of a feed buffer's round trip: every later feed() and digest() throws it. */
  #failure: unknown;

  /** `segmentBytes`: the segmented SHA-256 with segments of that size; omitted: plain SHA-256. */
  constructor(options: { segmentBytes?: number } = {}) {
    shared ??= new SharedThread();
    this.#thread = shared;
    this.#thread.users++;
    // Ordered before any update; a failure surfaces on the first request that waits for a reply.
    this.#thread
      .send({ type: "open", id: this.#id, segmentBytes: options.segmentBytes ?? null })
      .catch(() => {});
  }

  /** Bytes given so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Hashes `bytes` after everything given before, taking its memory: `bytes` must be the only view of
   * its ArrayBuffer that anyone uses meanwhile (a Buffer.allocUnsafe of 4 KiB or more, or a part of
   * one). The promise gives back a view of the same bytes over the returned memory.
   */
  update(bytes: Buffer): Promise<Buffer> {
    if (this.#closed || this.#digested) return Promise.reject(usedAfterClose());
    const { buffer, byteOffset, byteLength } = bytes;
    this.#bytes += byteLength;
    const message = { type: "update", id: this.#id, buffer, offset: byteOffset, length: byteLength };
    return this.#thread
      .send(message, [buffer as ArrayBuffer])
      .then((reply) => Buffer.from(reply.buffer!, byteOffset, byteLength));
  }

  /**
   * Hashes a copy of `bytes` after everything given before; the caller keeps `bytes`. Waits only while
   * every feed buffer of this stream is with the thread.
   */
  async feed(bytes: Uint8Array): Promise<void> {
    if (this.#closed || this.#digested) throw usedAfterClose();
    if (this.#failure !== undefined) throw this.#failure;
    this.#bytes += bytes.length;
    let at = 0;
    while (at < bytes.length) {
      this.#feedBuffer ??= await this.#takeFeedBuffer();
      const count = Math.min(FEED_BUFFER_BYTES - this.#feedFilled, bytes.length - at);
      this.#feedBuffer.set(bytes.subarray(at, at + count), this.#feedFilled);
      this.#feedFilled += count;
      at += count;
      if (this.#feedFilled === FEED_BUFFER_BYTES) this.#sendFeedBuffer();
    }
  }

  /** The digest of everything given, as lowercase hex (once). */
  async digest(): Promise<string> {
    if (this.#closed || this.#digested) throw usedAfterClose();
    this.#digested = true;
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#feedFilled > 0) this.#sendFeedBuffer();
    const reply = await this.#thread.send({ type: "digest", id: this.#id });
    await Promise.all(this.#feeding);
    return reply.hex!;
  }

  /** Releases the thread (it stops with its last user). Nothing may be given afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#thread.send({ type: "drop", id: this.#id }).catch(() => {});
    if (--this.#thread.users === 0) {
      if (shared === this.#thread) shared = undefined;
      await this.#thread.worker.terminate();
    }
  }

  #sendFeedBuffer(): void {
    const buffer = this.#feedBuffer!.buffer as ArrayBuffer;
    const message = { type: "update", id: this.#id, buffer, offset: 0, length: this.#feedFilled };
    this.#feedBuffer = undefined;
    this.#feedFilled = 0;
    const back: Promise<void> = this.#thread
      .send(message, [buffer])
      .then((reply) => {
        this.#feedPool.push(Buffer.from(reply.buffer!));
      })
      .finally(() => this.#feeding.delete(back));
    // Awaited by #takeFeedBuffer or digest(); kept, so a feed() after it is gone still fails.
    back.catch((error: unknown) => {
      this.#failure ??= error;
    });
    this.#feeding.add(back);
  }

  async #takeFeedBuffer(): Promise<Buffer> {
    const pooled = this.#feedPool.pop();
    if (pooled !== undefined) return pooled;
    if (this.#feedBuffers < FEED_BUFFERS) {
      this.#feedBuffers++;
      return Buffer.allocUnsafe(FEED_BUFFER_BYTES); // its own ArrayBuffer (over 4 KiB), so transferable
    }
    while (this.#feedPool.length === 0) {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#feeding.size === 0) throw new Error("hash thread: every feed buffer was lost");
      await Promise.race(this.#feeding);
    }
    return this.#feedPool.pop()!;
  }
}

function usedAfterClose(): Error {
  return new Error("HashThread used after its digest() or close()");
}
