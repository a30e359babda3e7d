/**
 * The decrypting FUSE (boot agent; runs in the Confidential VM, locally on the developer's machine):
 * a read-only plaintext view of a dataset whose files sit, encrypted in the cce4long file format, in
 * a lower layer (lower-layer.ts: the version's objects read with ranged GETs for every job; local files
 * for the bench and tests). Chunks are decrypted on demand with the
 * dataset key held only in this process's memory; any integrity failure is EIO to the reader, never
 * wrong bytes. Writes of any kind are EROFS.
 *
 * Mounted with direct_io: the kernel keeps no plaintext in its page cache.
 */
import { createRequire } from "node:module";
import { Cce4longError } from "@cce4long/protocol";
import { indexFiles, type MountedFile } from "./file-table";
import type { LowerLayer } from "./lower-layer";
import { DEFAULT_READ_AHEAD, PlaintextBudget, ReadAheadCache, type ReadAheadOptions } from "./read-ahead";
import { type KeyResolver, openSealedLowerFile, type SealedLowerFile } from "./sealed-lower-file";

export type { KeyResolver } from "./sealed-lower-file";

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

export interface DecryptingMountOptions {
  mountpoint: string;
  files: readonly MountedFile[];
  keyFor: KeyResolver;
  /** Where the ciphertext is read from (MountedFile.lowerPath names a file in it); local files unless given. */
  lower?: LowerLayer;
  /** Called for every refused read (logging): path and reason only, never bytes. */
  onIntegrityError?: (path: string, reason: string) => void;
  /** Read-ahead of verified plaintext chunks per open file (memory only, bounded, wiped). */
  readAhead?: ReadAheadOptions;
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
  const open = new Map<number, { sealed: SealedLowerFile; cache: ReadAheadCache }>();
  const sizes = new Map<string, number>();
  let nextFd = 10;
  const mountedAt = new Date();
  const report = (path: string, error: unknown) =>
    options.onIntegrityError?.(path, error instanceof Error ? error.message : String(error));
  const openSealed = (file: MountedFile) =>
    openSealedLowerFile(file, options.keyFor, { lower: options.lower });
  const readAhead = options.readAhead ?? DEFAULT_READ_AHEAD;
  const budget = new PlaintextBudget(readAhead.mountBytes);

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
      const known = sizes.get(rel) ?? file.plaintextBytes;
      if (known !== undefined) return cb(0, statOf(FILE_MODE, known));
      openSealed(file)
        .then(async (sealed) => {
          sizes.set(rel, sealed.plaintextLength);
          await sealed.close();
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
          open.set(fd, {
            sealed,
            cache: new ReadAheadCache(sealed, budget, readAhead),
          });
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
      const handle = open.get(fd);
      if (!handle) return cb(Fuse.EBADF);
      const end = Math.min(handle.sealed.plaintextLength, position + length);
      if (position >= end) return cb(0);
      // Copied from verified chunks straight into the kernel's buffer.
      handle.cache
        .readInto(position, end, buffer)
        .then((bytes) => cb(bytes))
        .catch((error: unknown) => {
          report(path.slice(1), error);
          cb(Fuse.EIO);
        });
    },
    release(_path: string, fd: number, cb: Callback) {
      const handle = open.get(fd);
      open.delete(fd);
      if (!handle) return cb(0);
      handle.cache.close();
      handle.sealed
        .close()
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
          for (const handle of open.values()) {
            handle.cache.close();
            handle.sealed.close().catch(() => {});
          }
          open.clear();
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}
