/**
 * The decrypting FUSE (boot agent; runs in the Confidential VM, locally on the developer's machine):
 * a read-only plaintext view of a dataset whose files sit, encrypted in the cce4long file format, in
 * a lower layer (JuiceFS in the VM; a folder locally). Chunks are decrypted on demand with the
 * dataset key held only in this process's memory; any integrity failure is EIO to the reader, never
 * wrong bytes. Writes of any kind are EROFS.
 *
 * Mounted with direct_io: the kernel keeps no plaintext in its page cache.
 */
import { createRequire } from "node:module";
import { Cce4longError } from "@cce4long/protocol";
import {
  HEADER_MAX_LENGTH,
  openFileReader,
  openSealedFile,
  parseHeader,
  type SealedFile,
} from "@cce4long/sealing";
import { indexFiles, type MountedFile } from "./file-table";

const require = createRequire(import.meta.url);

type Callback = (code: number, ...values: unknown[]) => void;
interface FuseInstance {
  mount(cb: (error: Error | null) => void): void;
  unmount(cb: (error: Error | null) => void): void;
}
interface FuseStatic {
  new (
    mnt: string,
    ops: Record<string, (...args: never[]) => void>,
    opts: Record<string, unknown>,
  ): FuseInstance;
  EIO: number;
  ENOENT: number;
  EROFS: number;
  EBADF: number;
  EISDIR: number;
  unmount(mnt: string, cb: (error: Error | null) => void): void;
}

/** Resolves the key of a dataset key version; the key stays in this process only. */
export type KeyResolver = (datasetId: string, keyVersion: number) => Uint8Array;

export interface DecryptingMountOptions {
  mountpoint: string;
  files: readonly MountedFile[];
  keyFor: KeyResolver;
  /** Called for every refused read (logging): path and reason only, never bytes. */
  onIntegrityError?: (path: string, reason: string) => void;
}

export interface DecryptingMount {
  readonly mountpoint: string;
  unmount(): Promise<void>;
}

const O_ACCMODE = 3;
const O_RDONLY = 0;
const DIR_MODE = 0o040555;
const FILE_MODE = 0o100444;

export async function mountDecrypting(options: DecryptingMountOptions): Promise<DecryptingMount> {
  const Fuse = require("fuse-native") as FuseStatic;
  const { files, dirs } = indexFiles(options.files);
  const open = new Map<number, SealedFile & { closeLower(): Promise<void> }>();
  const sizes = new Map<string, number>();
  let nextFd = 10;
  const mountedAt = new Date();
  const report = (path: string, error: unknown) =>
    options.onIntegrityError?.(path, error instanceof Error ? error.message : String(error));

  const openSealed = async (file: MountedFile) => {
    const lower = await openFileReader(file.lowerPath);
    try {
      const head = await lower.read(0, Math.min(lower.size, HEADER_MAX_LENGTH));
      const parsed = parseHeader(head);
      const key = options.keyFor(parsed.header.datasetId, parsed.header.keyVersion);
      const sealed = await openSealedFile(lower, key);
      const fileId = Buffer.from(sealed.header.fileId).toString("hex");
      if (file.expectedFileId !== undefined && fileId !== file.expectedFileId) {
        sealed.close();
        throw new Cce4longError(
          "SEAL_INTEGRITY",
          `${file.path}: file id does not match the dataset manifest`,
        );
      }
      return Object.assign(sealed, { closeLower: () => lower.close() });
    } catch (error) {
      await lower.close();
      throw error;
    }
  };

  const statOf = (mode: number, size: number) => ({
    mtime: mountedAt,
    atime: mountedAt,
    ctime: mountedAt,
    nlink: 1,
    size,
    mode,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  });

  const ops = {
    readdir(path: string, cb: Callback) {
      const children = dirs.get(path.slice(1));
      if (!children) return cb(Fuse.ENOENT);
      return cb(0, [...children].sort());
    },
    getattr(path: string, cb: Callback) {
      const rel = path.slice(1);
      if (dirs.has(rel)) return cb(0, statOf(DIR_MODE, 4096));
      const file = files.get(rel);
      if (!file) return cb(Fuse.ENOENT);
      const known = sizes.get(rel);
      if (known !== undefined) return cb(0, statOf(FILE_MODE, known));
      openSealed(file)
        .then(async (sealed) => {
          sizes.set(rel, sealed.plaintextLength);
          sealed.close();
          await sealed.closeLower();
          cb(0, statOf(FILE_MODE, sealed.plaintextLength));
        })
        .catch((error: unknown) => {
          report(rel, error);
          cb(Fuse.EIO);
        });
    },
    open(path: string, flags: number, cb: Callback) {
      const rel = path.slice(1);
      if (dirs.has(rel)) return cb(Fuse.EISDIR);
      const file = files.get(rel);
      if (!file) return cb(Fuse.ENOENT);
      if ((flags & O_ACCMODE) !== O_RDONLY) return cb(Fuse.EROFS);
      openSealed(file)
        .then((sealed) => {
          const fd = nextFd++;
          open.set(fd, sealed);
          cb(0, fd);
        })
        .catch((error: unknown) => {
          report(rel, error);
          cb(Fuse.EIO);
        });
    },
    read(
      path: string,
      fd: number,
      buffer: Buffer,
      length: number,
      position: number,
      cb: (bytes: number) => void,
    ) {
      const sealed = open.get(fd);
      if (!sealed) return cb(Fuse.EBADF);
      const end = Math.min(sealed.plaintextLength, position + length);
      if (position >= end) return cb(0);
      // Decrypted straight into the kernel's buffer: no intermediate plaintext copy to wipe.
      sealed
        .readInto(position, end, buffer)
        .then((bytes) => cb(bytes))
        .catch((error: unknown) => {
          report(path.slice(1), error);
          cb(Fuse.EIO);
        });
    },
    release(_path: string, fd: number, cb: Callback) {
      const sealed = open.get(fd);
      open.delete(fd);
      if (!sealed) return cb(0);
      sealed.close();
      sealed
        .closeLower()
        .catch(() => {})
        .finally(() => cb(0));
    },
    write(_p: string, _fd: number, _b: Buffer, _l: number, _pos: number, cb: Callback) {
      cb(Fuse.EROFS);
    },
    create(_p: string, _mode: number, cb: Callback) {
      cb(Fuse.EROFS);
    },
    truncate(_p: string, _size: number, cb: Callback) {
      cb(Fuse.EROFS);
    },
    unlink(_p: string, cb: Callback) {
      cb(Fuse.EROFS);
    },
    mkdir(_p: string, _mode: number, cb: Callback) {
      cb(Fuse.EROFS);
    },
    rename(_s: string, _d: string, cb: Callback) {
      cb(Fuse.EROFS);
    },
  };

  // force: a mount left behind by a killed agent is unmounted first; mkdir: create the mountpoint.
  const fuse = new Fuse(options.mountpoint, ops as never, {
    force: true,
    mkdir: true,
    // fuse-native 2.2 has no direct_io option, but joins its options with commas into one -o
    // argument, so it can ride along here. direct_io sends every read to this process: no plaintext
    // in the page cache, and a failed chunk is EIO to the reader instead of a short read that the
    // kernel's readahead would otherwise turn it into (silent truncation).
    fsname: "cce4long-decrypt,direct_io",
    subtype: "cce4long",
    allowOther: true,
    attrTimeout: 60,
    entryTimeout: 60,
  });
  await new Promise<void>((resolve, reject) =>
    fuse.mount((error) =>
      error
        ? reject(
            new Cce4longError("UNAVAILABLE", `FUSE mount at ${options.mountpoint} failed`, { cause: error }),
          )
        : resolve(),
    ),
  );
  return {
    mountpoint: options.mountpoint,
    unmount: () =>
      new Promise<void>((resolve, reject) => {
        fuse.unmount((error) => {
          for (const sealed of open.values()) sealed.close();
          open.clear();
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
