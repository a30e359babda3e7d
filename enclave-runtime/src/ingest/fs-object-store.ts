/**
 * An ObjectStore on a local folder (benchmarks only: bench/benches/ingest.ts): isolates ingest's own
 * cost from the local S3 stand-in's. Parts are written in place at (partNumber - 1) x partSize, which
 * holds for ingest's writer (every part but the last is full-sized); completion is a rename.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CompletedPart, ObjectStore } from "./object-store";

export class FsObjectStore implements ObjectStore {
  #next = 1;
  readonly #partSizes = new Map<string, number>();

  constructor(private readonly root: string) {}

  #path(bucket: string, key: string): string {
    return join(this.root, bucket, key);
  }

  async getStream(bucket: string, key: string): Promise<AsyncIterable<Uint8Array> | null> {
    const path = this.#path(bucket, key);
    if ((await this.head(bucket, key)) === null) return null;
    return createReadStream(path, { highWaterMark: 1024 * 1024 });
  }

  async getBytes(bucket: string, key: string): Promise<Uint8Array | null> {
    return readFile(this.#path(bucket, key)).catch(() => null);
  }

  async head(bucket: string, key: string): Promise<number | null> {
    return stat(this.#path(bucket, key)).then(
      (s) => s.size,
      () => null,
    );
  }

  async put(bucket: string, key: string, body: Uint8Array): Promise<void> {
    const path = this.#path(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }

  async delete(bucket: string, key: string): Promise<void> {
    await rm(this.#path(bucket, key), { force: true });
  }

  async createMultipart(bucket: string, key: string): Promise<string> {
    const id = `mp${this.#next++}`;
    const path = `${this.#path(bucket, key)}.${id}`;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, new Uint8Array());
    return id;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
  ): Promise<string> {
    const id = `${bucket}/${key}/${uploadId}`;
    if (partNumber === 1) this.#partSizes.set(id, body.length);
    const size = this.#partSizes.get(id) ?? body.length;
    const handle = await open(`${this.#path(bucket, key)}.${uploadId}`, "r+");
    try {
      await handle.write(body, 0, body.length, (partNumber - 1) * size);
    } finally {
      await handle.close();
    }
    return `"${partNumber}"`;
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    _parts: readonly CompletedPart[],
  ): Promise<void> {
    await rename(`${this.#path(bucket, key)}.${uploadId}`, this.#path(bucket, key));
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    await rm(`${this.#path(bucket, key)}.${uploadId}`, { force: true });
  }
}
