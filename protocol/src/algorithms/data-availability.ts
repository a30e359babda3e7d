/**
 * The data-availability layer for public algorithm records (runs anywhere): a narrow key -> bytes
 * interface. Locally and in the first production deployment it is the object store's algorithms bucket
 * (enclave-runtime/src/algorithms/object-store-da.ts); a DA network (Celestia, EigenDA, IPFS) plugs in
 * behind the same two calls, mapping our content-addressed keys to its own blob ids. Nothing fetched
 * through it is trusted: verifyAlgorithm re-checks every byte against the on-chain commitment.
 */
export interface DataAvailability {
  /** For logs and audit output, e.g. "object-store:cce4long-algorithms". */
  readonly name: string;
  /** Stores `bytes` under a content-addressed key; storing the same key again with the same bytes is a no-op. */
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The bytes under `key`, or null if the layer does not have them. */
  get(key: string): Promise<Uint8Array | null>;
}

/** In memory (tests, offline tools). `objects` is exposed so tests can tamper with what is stored. */
export function memoryDataAvailability(): DataAvailability & { objects: Map<string, Uint8Array> } {
  const objects = new Map<string, Uint8Array>();
  return {
    name: "memory",
    objects,
    async put(key, bytes) {
      objects.set(key, bytes.slice());
    },
    async get(key) {
      return objects.get(key)?.slice() ?? null;
    },
  };
}
