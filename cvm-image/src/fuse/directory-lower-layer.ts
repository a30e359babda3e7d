/**
 * The lower layer as local files (boot agent code; used by the FUSE bench, the FUSE tests and
 * operators' ad-hoc mounts on a developer machine; jobs read object storage instead): `lowerPath` is a
 * file path. Reads use the callback fs API (no promise machinery per request), as the bench's
 * throughput depends on it.
 */
import { close as fsClose, fstat as fsFstat, open as fsOpen, read as fsRead } from "node:fs";
import { promisify } from "node:util";
import type { LowerFile, LowerLayer } from "./lower-layer";

const openAsync = promisify(fsOpen);
const closeAsync = promisify(fsClose);
const fstatAsync = promisify(fsFstat);

/** Reads up to `length` bytes at `position` into `out`; resolves with the bytes read. */
function readFully(fd: number, out: Buffer, length: number, position: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let filled = 0;
    const next = () =>
      fsRead(fd, out, filled, length - filled, position + filled, (error, bytes) => {
        if (error) return reject(error);
        filled += bytes;
        // bytes === 0: the file shrank under us; the reader's chunk checks refuse what is missing.
        if (bytes === 0 || filled === length) return resolve(out.subarray(0, filled));
        next();
      });
    next();
  });
}

export const directoryLowerLayer: LowerLayer = {
  async open(lowerPath: string): Promise<LowerFile> {
    const fd = await openAsync(lowerPath, "r");
    let size: number;
    try {
      size = (await fstatAsync(fd)).size;
    } catch (error) {
      await closeAsync(fd).catch(() => {});
      throw error;
    }
    return {
      size,
      read: (target, length, position) => readFully(fd, target, length, position),
      close: () => closeAsync(fd),
    };
  },
};
