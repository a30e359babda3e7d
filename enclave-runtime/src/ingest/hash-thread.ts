/**
 * SHA-256 computed on a worker thread (runs inside the TEE, for ingest): the thread that decrypts and
 * re-encrypts hands the bytes over instead of hashing them itself. Two digests use it: the plain,
 * sequential SHA-256 the manifest names each stored object by (ingest's object writer), and the
 * segmented SHA-256 of a staged envelope (docs/upload-envelope.md section 5.1) that the provider signed
 * (StagedDigest). Bytes are transferred, not copied, where the caller can give its buffer away; the
 * thread sees what ingest reads or writes, never a key.
 */
import { Worker } from "node:worker_threads";

/**
 * The thread's code: plain JavaScript (no loader, no bundle of its own), node:crypto only. With
 * `segmentBytes` it computes SHA-256 over that many bytes at a time and, at the end, SHA-256 of the
 * segment digests in order (an empty input being one empty segment); without it, plain SHA-256.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const segmentBytes = workerData.segmentBytes;
let hash = createHash("sha256");
let filled = 0;
const segments = [];
function update(bytes) {
  if (segmentBytes === null) return hash.update(bytes);
  let at = 0;
  while (at < bytes.length) {
    const count = Math.min(segmentBytes - filled, bytes.length - at);
    hash.update(bytes.subarray(at, at + count));
    filled += count;
    at += count;
    if (filled === segmentBytes) {
      segments.push(hash.digest());
      hash = createHash("sha256");
      filled = 0;
    }
  }
}
parentPort.on("message", (message) => {
  if (message.type === "update") {
    update(new Uint8Array(message.buffer, message.offset, message.length));
    if (message.giveBack) parentPort.postMessage({ buffer: message.buffer }, [message.buffer]);
    else parentPort.postMessage({});
  } else if (segmentBytes === null) {
    parentPort.postMessage({ hex: hash.digest("hex") });
  } else {
    if (filled > 0 || segments.length === 0) segments.push(hash.digest());
    parentPort.postMessage({ hex: createHash("sha256").update(Buffer.concat(segments)).digest("hex") });
  }
});
`;

/** Bytes fed (copied) to the thread and not hashed yet before feed() waits: bounds that copy. */
const MAX_FED_BYTES = 4 * 1024 * 1024;

interface Reply {
  buffer?: ArrayBuffer;
  hex?: string;
}

export class HashThread {
  readonly #worker: Worker;
  /** Replies arrive in the order requests were sent (one thread, one queue). */
  readonly #waiting: { resolve(reply: Reply): void; reject(error: unknown): void }[] = [];
  readonly #fed: { bytes: number; done: Promise<unknown> }[] = [];
  #fedBytes = 0;
  #bytes = 0;
  #failure: unknown;

  /** `segmentBytes`: the segmented SHA-256 with segments of that size; omitted: plain SHA-256. */
  constructor(options: { segmentBytes?: number } = {}) {
    // No inherited flags (a TypeScript loader would cost the thread tens of MiB for thirty lines).
    this.#worker = new Worker(THREAD_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { segmentBytes: options.segmentBytes ?? null },
    });
    this.#worker.on("message", (reply: Reply) => this.#waiting.shift()?.resolve(reply));
    const fail = (error: unknown) => {
      this.#failure ??= error;
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`the hash thread exited (${code})`)));
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
    const { buffer, byteOffset, byteLength } = bytes;
    this.#bytes += byteLength;
    const message = { type: "update", buffer, offset: byteOffset, length: byteLength, giveBack: true };
    return this.#send(message, [buffer as ArrayBuffer]).then((reply) =>
      Buffer.from(reply.buffer!, byteOffset, byteLength),
    );
  }

  /**
   * Hashes a copy of `bytes` after everything given before; the caller keeps `bytes`. Waits only while
   * more than MAX_FED_BYTES are still to be hashed.
   */
  async feed(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    const copy = new Uint8Array(bytes); // only the view's bytes, then moved to the thread
    this.#bytes += copy.length;
    const message = { type: "update", buffer: copy.buffer, offset: 0, length: copy.length, giveBack: false };
    const done = this.#send(message, [copy.buffer]);
    done.catch(() => {}); // awaited below, or reported by digest()
    this.#fed.push({ bytes: copy.length, done });
    this.#fedBytes += copy.length;
    while (this.#fedBytes > MAX_FED_BYTES) {
      const oldest = this.#fed.shift()!;
      this.#fedBytes -= oldest.bytes;
      await oldest.done;
    }
  }

  /** The digest of everything given, as lowercase hex. */
  async digest(): Promise<string> {
    return (await this.#send({ type: "digest" }, [])).hex!;
  }

  async close(): Promise<void> {
    this.#failure ??= new Error("the hash thread was closed");
    await this.#worker.terminate();
  }

  #send(message: object, transfer: ArrayBuffer[]): Promise<Reply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(message, transfer);
    });
  }
}
