/**
 * The small random-access source a reader decrypts from (a buffer, a local file, or an object store /
 * JuiceFS file behind the FUSE). Runs anywhere Node runs.
 */
import { type FileHandle, open } from "node:fs/promises";

export interface RandomAccessReader {
  /** Total size in bytes of the encrypted file. */
  readonly size: number;
  /** Reads `length` bytes at `offset`; may return fewer only at the end of the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function bufferReader(bytes: Uint8Array): RandomAccessReader {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

export interface FileRandomAccessReader extends RandomAccessReader {
  close(): Promise<void>;
}

/** Opens a local file read-only; the caller closes it. */
export async function openFileReader(path: string): Promise<FileRandomAccessReader> {
  const handle: FileHandle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    return {
      size,
      async read(offset, length) {
        const out = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
        let filled = 0;
        while (filled < out.length) {
          const { bytesRead } = await handle.read(out, filled, out.length - filled, offset + filled);
          if (bytesRead === 0) break; // the file shrank under us; the caller's length checks catch it
          filled += bytesRead;
        }
        return out.subarray(0, filled);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
