/**
 * The data-availability layer on the object store (runs in Node: the Privacy Plane, the CLI, auditors):
 * the public algorithms bucket, content-addressed keys, SigV4 through the ObjectStore of ingest/.
 * Another DA network implements the same DataAvailability interface (protocol/src/algorithms).
 */
import type { DataAvailability } from "@cce4long/protocol/algorithms/data-availability";
import { BUCKETS } from "@cce4long/protocol/storage/buckets";
import type { ObjectStore } from "../ingest/object-store";

/** Sources are code: refuse to pull anything bigger into memory. */
const MAX_OBJECT_BYTES = 512 * 1024 * 1024;

export function objectStoreDataAvailability(
  store: Pick<ObjectStore, "getBytes" | "put" | "head">,
  bucket: string = BUCKETS.algorithms,
): DataAvailability {
  return {
    name: `object-store:${bucket}`,
    async put(key, bytes, contentType) {
      // Content-addressed: an existing key already holds these bytes (or a tampered copy the reader will reject).
      if ((await store.head(bucket, key)) !== null) return;
      await store.put(bucket, key, bytes, contentType);
    },
    async get(key) {
      const size = await store.head(bucket, key);
      if (size === null) return null;
      if (size > MAX_OBJECT_BYTES) return null;
      return store.getBytes(bucket, key);
    },
  };
}
