/**
 * Writes a byte stream of unknown chunking to one object (runs inside the TEE): one PUT when it fits in
 * a part, otherwise a multipart upload with a bounded number of parts in flight, so memory stays at
 * about partSize x (maxInFlight + 1) whatever the object's size. Hashes what it writes (SHA-256): a
 * multipart object's parts are hashed on a thread of their own (HashThread), in order, before each
 * is uploaded, so the producer's thread does not pay for the hash.
 */
import { createHash } from "node:crypto";
import { HashThread } from "./hash-thread";
import type { CompletedPart, ObjectStore } from "./object-store";

export interface WriteObjectOptions {
  /** Bytes per part (S3: at least 5 MiB except the last). */
  partSize: number;
  /** Parts uploading at once while the next one fills. */
  maxInFlight: number;
  contentType?: string;
}

export interface WrittenObject {
  bytes: number;
  sha256: string;
}

export async function writeObjectStream(
  store: ObjectStore,
  bucket: string,
  key: string,
  source: AsyncIterable<Uint8Array>,
  options: WriteObjectOptions,
): Promise<WrittenObject> {
  let hashThread: HashThread | undefined;
  // Part buffers are recycled once their upload has finished: garbage of this size would otherwise pile
  // up between collections and dominate the process's RSS.
  const pool: Buffer[] = [];
  const take = () => pool.pop() ?? Buffer.allocUnsafe(options.partSize);
  let part = take();
  let filled = 0;
  let total = 0;
  let multipartId: string | undefined;
  const inFlight = new Set<Promise<void>>();
  const completed: CompletedPart[] = [];
  let partNumber = 0;
  let failure: unknown;

  const flush = async (given: Buffer) => {
    multipartId ??= await store.createMultipart(bucket, key);
    hashThread ??= new HashThread();
    const number = ++partNumber;
    const id = multipartId;
    // The part goes to the hash thread (in part order) and comes back to be uploaded, then reused.
    const task = hashThread
      .update(given)
      .then(async (bytes) => {
        const etag = await store.uploadPart(bucket, key, id, number, bytes);
        completed.push({ partNumber: number, etag });
        if (bytes.length === options.partSize) pool.push(bytes);
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    while (inFlight.size >= options.maxInFlight) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
  };

  try {
    for await (const piece of source) {
      total += piece.length;
      let at = 0;
      while (at < piece.length) {
        const count = Math.min(options.partSize - filled, piece.length - at);
        part.set(piece.subarray(at, at + count), filled);
        filled += count;
        at += count;
        if (filled === options.partSize) {
          const full = part;
          part = take();
          filled = 0;
          await flush(full);
        }
      }
    }
    if (multipartId === undefined) {
      const body = part.subarray(0, filled);
      await store.put(bucket, key, body, options.contentType);
      return { bytes: total, sha256: createHash("sha256").update(body).digest("hex") };
    }
    if (filled > 0) await flush(part.subarray(0, filled));
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    const sha256 = await hashThread!.digest();
    await store.completeMultipart(bucket, key, multipartId, completed);
    return { bytes: total, sha256 };
  } catch (error) {
    await Promise.allSettled(inFlight);
    if (multipartId !== undefined) await store.abortMultipart(bucket, key, multipartId).catch(() => {});
    throw error;
  } finally {
    await hashThread?.close();
  }
}
