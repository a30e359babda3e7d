/**
 * One encrypted dataset file of the lower layer (lower-layer.ts: object storage for jobs, local files for
 * the bench and tests), opened for the decrypting FUSE (boot agent; runs in the Confidential VM, locally
 * on the developer's machine): the header verified once (key check, MAC, exact size, the file id the
 * manifest expects), then runs of chunks read with one lower read each and verified chunk by chunk. A
 * chunk's plaintext exists only once its tag verified; the caller owns it and wipes it.
 */
import { Cce4longError } from "@cce4long/protocol";
import {
  beginRead,
  type FileHeader,
  type FileReaderSession,
  HEADER_MAX_LENGTH,
  parseHeader,
  TAG_LENGTH,
} from "@cce4long/sealing";
import { directoryLowerLayer } from "./directory-lower-layer";
import type { MountedFile } from "./file-table";
import type { LowerFile, LowerLayer } from "./lower-layer";

/** Resolves the key of a dataset key version; the key stays in this process only. */
export type KeyResolver = (datasetId: string, keyVersion: number) => Uint8Array;

/** A verified chunk's plaintext, or why it is refused (never both). */
export type ChunkOutcome = Buffer | Cce4longError;

export interface SealedLowerFile {
  readonly plaintextLength: number;
  readonly chunkSize: number;
  readonly chunkCount: number;
  /** Hex file id from the authenticated header. */
  readonly fileId: string;
  /** Reads chunks [first, last] with one lower read and verifies each on its own. */
  readChunks(first: number, last: number): Promise<ChunkOutcome[]>;
  /** Wipes the per-file key and closes the lower file. */
  close(): Promise<void>;
}

export interface OpenSealedOptions {
  /** Where the ciphertext is read from; local files unless given. */
  lower?: LowerLayer;
  /**
   * Called with the parsed header and the lower file's size before the key is used (the boot agent's
   * manifest check): throwing refuses the file.
   */
  checkHeader?(header: FileHeader, size: number): void;
}

function integrity(path: string, message: string): Cce4longError {
  return new Cce4longError("SEAL_INTEGRITY", `${path}: ${message}`);
}

export async function openSealedLowerFile(
  file: MountedFile,
  keyFor: KeyResolver,
  options: OpenSealedOptions = {},
): Promise<SealedLowerFile> {
  const lower = await (options.lower ?? directoryLowerLayer).open(file.lowerPath);
  let session: FileReaderSession | undefined;
  try {
    const { size } = lower;
    const headLength = Math.min(size, HEADER_MAX_LENGTH);
    const parsed = parseHeader(await lower.read(Buffer.alloc(headLength), headLength, 0));
    options.checkHeader?.(parsed.header, size);
    session = beginRead(parsed, keyFor(parsed.header.datasetId, parsed.header.keyVersion));
    if (size !== session.encryptedLength) {
      throw integrity(file.path, `file is ${size} bytes but its header requires ${session.encryptedLength}`);
    }
    const fileId = Buffer.from(session.header.fileId).toString("hex");
    if (file.expectedFileId !== undefined && fileId !== file.expectedFileId) {
      throw integrity(file.path, "file id does not match the dataset manifest");
    }
    return wrap(file.path, lower, session, fileId);
  } catch (error) {
    session?.close();
    await lower.close().catch(() => {});
    throw error;
  }
}

/** Spare ciphertext buffers kept per open file: reads reuse them instead of allocating per request. */
const SPARE_BUFFERS = 4;

function wrap(path: string, lower: LowerFile, session: FileReaderSession, fileId: string): SealedLowerFile {
  let closed = false;
  // Ciphertext only: nothing secret lands in these, so they are reused without wiping.
  const spare: Buffer[] = [];
  const acquire = (length: number) => {
    const index = spare.findIndex((buffer) => buffer.length >= length);
    return index >= 0 ? spare.splice(index, 1)[0]! : Buffer.allocUnsafeSlow(length);
  };
  const release = (buffer: Buffer) => {
    if (!closed && spare.length < SPARE_BUFFERS) spare.push(buffer);
  };
  return {
    plaintextLength: session.header.plaintextLength,
    chunkSize: session.header.chunkSize,
    chunkCount: session.chunkCount,
    fileId,
    async readChunks(first, last) {
      if (first < 0 || last >= session.chunkCount || first > last) {
        throw new Cce4longError("VALIDATION_FAILED", `${path}: no chunks ${first}..${last}`);
      }
      const from = session.chunkOffset(first);
      const length = session.chunkOffset(last) + session.plainLength(last) + TAG_LENGTH - from;
      const buffer = acquire(length);
      let sealed: Buffer;
      try {
        sealed = await lower.read(buffer, length, from);
      } catch (error) {
        release(buffer);
        throw error;
      }
      const outcomes: ChunkOutcome[] = [];
      for (let i = first; i <= last; i++) {
        if (closed) {
          outcomes.push(integrity(path, "file closed during the read"));
          continue;
        }
        const at = session.chunkOffset(i) - from;
        const end = at + session.plainLength(i) + TAG_LENGTH;
        if (end > sealed.length) {
          outcomes.push(integrity(path, `chunk ${i} is cut short (file shrank?)`));
          continue;
        }
        try {
          outcomes.push(session.decryptChunk(i, sealed.subarray(at, end)));
        } catch (error) {
          outcomes.push(
            error instanceof Cce4longError ? error : integrity(path, `chunk ${i} did not verify`),
          );
        }
      }
      release(buffer);
      return outcomes;
    },
    async close() {
      if (closed) return;
      closed = true;
      spare.length = 0;
      session.close();
      await lower.close();
    },
  };
}
