/**
 * The append-only transparency log over a small store (runs anywhere; the file-backed store for Node
 * is enclave-runtime/src/transparency/file-log-store.ts). Holds the leaf hashes in memory, appends
 * canonical entries, and answers with heads, inclusion and consistency proofs in the JSON wire format.
 */
import type { Hex } from "viem";
import { Cce4longError } from "../errors/index";
import { parseTransparencyEntryBytes, type TransparencyEntry, transparencyEntryBytes } from "./log-entry";
import { consistencyProof, inclusionProof, leafHash, rootOf } from "./merkle";
import { type ConsistencyProofJson, type EntryWithProof, hashToHex, type LogHead } from "./proofs";

/** Where the log's leaves live. Append-only: a store never rewrites or removes a leaf. */
export interface TransparencyLogStore {
  /** Every leaf's data, in order. */
  readAll(): Promise<Uint8Array[]>;
  /** Appends leaf `index`; refuses (CONFLICT) when the store already holds a different number of leaves. */
  append(index: number, data: Uint8Array): Promise<void>;
}

export class TransparencyLog {
  readonly #store: TransparencyLogStore;
  readonly #entries: TransparencyEntry[];
  readonly #leaves: Uint8Array[];

  private constructor(store: TransparencyLogStore, entries: TransparencyEntry[], leaves: Uint8Array[]) {
    this.#store = store;
    this.#entries = entries;
    this.#leaves = leaves;
  }

  /** Loads and re-validates every stored leaf (TRANSPARENCY_LOG_INVALID names the first bad one). */
  static async open(store: TransparencyLogStore): Promise<TransparencyLog> {
    const data = await store.readAll();
    const entries: TransparencyEntry[] = [];
    for (const [index, bytes] of data.entries()) {
      try {
        entries.push(parseTransparencyEntryBytes(bytes));
      } catch (cause) {
        throw new Cce4longError(
          "TRANSPARENCY_LOG_INVALID",
          `transparency log leaf ${index} is not a valid entry`,
          {
            cause,
          },
        );
      }
    }
    return new TransparencyLog(store, entries, data.map(leafHash));
  }

  get size(): number {
    return this.#leaves.length;
  }

  head(treeSize: number = this.size): LogHead {
    return { treeSize, rootHash: hashToHex(rootOf(this.#leaves, treeSize)) };
  }

  entry(index: number): TransparencyEntry | undefined {
    return this.#entries[index];
  }

  entries(): readonly TransparencyEntry[] {
    return this.#entries;
  }

  /** Validates, canonicalizes and appends one entry; returns its leaf index. */
  async append(input: unknown): Promise<number> {
    const bytes = transparencyEntryBytes(input);
    const index = this.size;
    await this.#store.append(index, bytes);
    this.#entries.push(parseTransparencyEntryBytes(bytes));
    this.#leaves.push(leafHash(bytes));
    return index;
  }

  /** The entry at `leafIndex` with its inclusion proof in the tree of `treeSize` leaves. */
  prove(leafIndex: number, treeSize: number = this.size): EntryWithProof {
    const entry = this.#entries[leafIndex];
    if (entry === undefined || leafIndex >= treeSize) {
      throw new Cce4longError("NOT_FOUND", `no leaf ${leafIndex} in a log of ${treeSize} leaves`);
    }
    return {
      entry,
      inclusion: {
        leafIndex,
        treeSize,
        proof: inclusionProof(this.#leaves, leafIndex, treeSize).map(hashToHex),
      },
    };
  }

  proveConsistency(firstSize: number, secondSize: number = this.size): ConsistencyProofJson {
    return {
      firstSize,
      secondSize,
      proof: consistencyProof(this.#leaves, firstSize, secondSize).map(hashToHex),
    };
  }

  /** The first `vm-measurement` entry naming `measurementId` among the first `treeSize` leaves, proven. */
  proveMeasurement(measurementId: Hex, treeSize: number = this.size): EntryWithProof | undefined {
    const wanted = measurementId.toLowerCase();
    const index = this.#entries
      .slice(0, treeSize)
      .findIndex((entry) => entry.kind === "vm-measurement" && entry.measurementId === wanted);
    return index === -1 ? undefined : this.prove(index, treeSize);
  }

  /** The first `algorithm-image` entry for `imageDigest` ("sha256:...") among the first `treeSize` leaves. */
  proveAlgorithmImage(imageDigest: string, treeSize: number = this.size): EntryWithProof | undefined {
    const index = this.#entries
      .slice(0, treeSize)
      .findIndex((entry) => entry.kind === "algorithm-image" && entry.imageDigest === imageDigest);
    return index === -1 ? undefined : this.prove(index, treeSize);
  }
}

/** A store in memory (tests, tools). */
export function memoryLogStore(
  initial: readonly Uint8Array[] = [],
): TransparencyLogStore & { leaves: Uint8Array[] } {
  const leaves = initial.map((leaf) => leaf.slice());
  return {
    leaves,
    async readAll() {
      return leaves.map((leaf) => leaf.slice());
    },
    async append(index, data) {
      if (index !== leaves.length) {
        throw new Cce4longError("CONFLICT", `transparency log has ${leaves.length} leaves, not ${index}`);
      }
      leaves.push(data.slice());
    },
  };
}
