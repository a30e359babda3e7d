/**
 * An in-memory ObjectStore for ingest's unit tests (runs in tests only). It can be told to fail a
 * chosen operation, which is how tests simulate a crash between two ingest steps.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { CompletedPart, ObjectLister, ObjectStore } from "./object-store";

export type StoreOperation = "get" | "head" | "put" | "delete" | "uploadPart" | "completeMultipart";

export class MemoryObjectStore implements ObjectStore, ObjectLister {
  readonly objects = new Map<string, Uint8Array>();
  readonly #multipart = new Map<string, Map<number, Uint8Array>>();
  /** Return true to make that operation throw (a simulated crash). */
  failOn: ((operation: StoreOperation, bucket: string, key: string) => boolean) | undefined;
  /** Every operation in order, e.g. "put cce4long-datasets/key" (tests read the sequence). */
  operations: string[] = [];
  #nextId = 1;

  keys(bucket?: string): string[] {
    return [...this.objects.keys()].filter((k) => bucket === undefined || k.startsWith(`${bucket}/`)).sort();
  }

  async getStream(bucket: string, key: string): Promise<AsyncIterable<Uint8Array> | null> {
    this.#check("get", bucket, key);
    const bytes = this.objects.get(`${bucket}/${key}`);
    if (bytes === undefined) return null;
    return (async function* () {
      // Odd-sized pieces, like a network stream, so parsers cannot rely on alignment.
      for (let at = 0; at < bytes.length; at += 70_001) yield bytes.slice(at, at + 70_001);
    })();
  }

  async getBytes(bucket: string, key: string): Promise<Uint8Array | null> {
    this.#check("get", bucket, key);
    return this.objects.get(`${bucket}/${key}`)?.slice() ?? null;
  }

  async head(bucket: string, key: string): Promise<number | null> {
    this.#check("head", bucket, key);
    return this.objects.get(`${bucket}/${key}`)?.length ?? null;
  }

  async put(bucket: string, key: string, body: Uint8Array): Promise<void> {
    this.#check("put", bucket, key);
    this.objects.set(`${bucket}/${key}`, Uint8Array.from(body));
  }

  async delete(bucket: string, key: string): Promise<void> {
    this.#check("delete", bucket, key);
    this.objects.delete(`${bucket}/${key}`);
  }

  async list(bucket: string, prefix: string): Promise<string[]> {
    return this.keys(bucket)
      .map((k) => k.slice(bucket.length + 1))
      .filter((k) => k.startsWith(prefix));
  }

  async createMultipart(bucket: string, key: string): Promise<string> {
    this.#check("put", bucket, key);
    const id = `mp-${this.#nextId++}`;
    this.#multipart.set(`${id}:${bucket}/${key}`, new Map());
    return id;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
  ): Promise<string> {
    this.#check("uploadPart", bucket, key);
    const parts = this.#multipart.get(`${uploadId}:${bucket}/${key}`);
    if (!parts) throw new Cce4longError("OBJECT_STORE_FAILED", "no such multipart upload");
    parts.set(partNumber, Uint8Array.from(body)); // a copy: Buffer#slice would be a view
    return `"etag-${partNumber}-${body.length}"`;
  }

  async completeMultipart(
    bucket: string,
    key: string,
    uploadId: string,
    parts: readonly CompletedPart[],
  ): Promise<void> {
    this.#check("completeMultipart", bucket, key);
    const stored = this.#multipart.get(`${uploadId}:${bucket}/${key}`);
    if (!stored) throw new Cce4longError("OBJECT_STORE_FAILED", "no such multipart upload");
    const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const pieces = ordered.map((p) => {
      const piece = stored.get(p.partNumber);
      if (!piece || p.etag !== `"etag-${p.partNumber}-${piece.length}"`) {
        throw new Cce4longError("OBJECT_STORE_FAILED", "multipart completion names an unknown part");
      }
      return piece;
    });
    const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    this.objects.set(`${bucket}/${key}`, out);
    this.#multipart.delete(`${uploadId}:${bucket}/${key}`);
  }

  async abortMultipart(bucket: string, key: string, uploadId: string): Promise<void> {
    this.#multipart.delete(`${uploadId}:${bucket}/${key}`);
  }

  /** Multipart uploads started and neither completed nor aborted. */
  get openMultipartUploads(): number {
    return this.#multipart.size;
  }

  #check(operation: StoreOperation, bucket: string, key: string): void {
    this.operations.push(`${operation} ${bucket}/${key}`);
    if (this.failOn?.(operation, bucket, key)) {
      throw new Cce4longError("OBJECT_STORE_FAILED", `simulated crash at ${operation} ${key}`);
    }
  }
}
