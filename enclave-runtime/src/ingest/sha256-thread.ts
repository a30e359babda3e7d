/**
 * A plain, sequential SHA-256 computed on a worker thread (runs inside the TEE, for ingest's object
 * writer): the manifest names each stored object by its SHA-256, which cannot be split into parallel
 * pieces, so instead of hashing on the thread that decrypts and re-encrypts, whole parts are handed to
 * a thread of their own. Parts are transferred, not copied: the caller gives a buffer away and gets it
 * back once hashed. The thread sees ciphertext only.
 */
import { Worker } from "node:worker_threads";

/** The thread's code: plain JavaScript (no loader, no bundle of its own), node:crypto only. */
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hash = createHash("sha256");
parentPort.on("message", (message) => {
  if (message.type === "update") {
    hash.update(new Uint8Array(message.buffer, message.offset, message.length));
    parentPort.postMessage({ type: "updated", buffer: message.buffer }, [message.buffer]);
  } else {
    parentPort.postMessage({ type: "digest", hex: hash.digest("hex") });
  }
});
`;

type Reply = { type: "updated"; buffer: ArrayBuffer } | { type: "digest"; hex: string };

export class Sha256Thread {
  readonly #worker: Worker;
  /** Replies arrive in the order requests were sent (one thread, one queue). */
  readonly #waiting: { resolve(reply: Reply): void; reject(error: unknown): void }[] = [];
  #failure: unknown;

  constructor() {
    // No inherited flags (a TypeScript loader would cost the thread tens of MiB for four lines of code).
    this.#worker = new Worker(THREAD_SOURCE, { eval: true, execArgv: [] });
    this.#worker.on("message", (reply: Reply) => this.#waiting.shift()?.resolve(reply));
    const fail = (error: unknown) => {
      this.#failure ??= error;
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`the SHA-256 thread exited (${code})`)));
  }

  /**
   * Hashes `bytes` after everything given before. The buffer under `bytes` is transferred to the thread
   * (unusable here meanwhile); the promise gives back a view of the same bytes over the returned memory.
   */
  update(bytes: Buffer): Promise<Buffer> {
    const { buffer, byteOffset, byteLength } = bytes;
    return this.#send({ type: "update", buffer, offset: byteOffset, length: byteLength }, [
      buffer as ArrayBuffer,
    ]).then((reply) => Buffer.from((reply as { buffer: ArrayBuffer }).buffer, byteOffset, byteLength));
  }

  /** The SHA-256 of everything given, as lowercase hex. */
  async digest(): Promise<string> {
    return ((await this.#send({ type: "digest" }, [])) as { hex: string }).hex;
  }

  async close(): Promise<void> {
    this.#failure ??= new Error("the SHA-256 thread was closed");
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
