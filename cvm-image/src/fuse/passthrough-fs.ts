/**
 * A plain read-only passthrough FUSE over one folder (benchmark reference only): the same
 * fuse-native binding and mount options as the decrypting FUSE, minus the decryption, so the
 * benchmark can tell the cost of decrypting from the cost of FUSE itself.
 */
import { closeSync, read as fsRead, openSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);

export async function mountPassthrough(
  source: string,
  mountpoint: string,
): Promise<{ unmount(): Promise<void> }> {
  const Fuse = require("fuse-native") as {
    new (
      mnt: string,
      ops: object,
      opts: object,
    ): {
      mount(cb: (e: Error | null) => void): void;
      unmount(cb: (e: Error | null) => void): void;
    };
    ENOENT: number;
    EIO: number;
  };
  const stat = (path: string) => {
    const s = statSync(join(source, path));
    return {
      mtime: s.mtime,
      atime: s.atime,
      ctime: s.ctime,
      nlink: 1,
      size: s.size,
      mode: s.mode,
      uid: s.uid,
      gid: s.gid,
    };
  };
  const ops = {
    readdir: (path: string, cb: (e: number, names?: string[]) => void) =>
      cb(0, readdirSync(join(source, path))),
    getattr: (path: string, cb: (e: number, st?: object) => void) => {
      try {
        cb(0, stat(path));
      } catch {
        cb(Fuse.ENOENT);
      }
    },
    open: (path: string, _flags: number, cb: (e: number, fd?: number) => void) =>
      cb(0, openSync(join(source, path), "r")),
    read: (
      _p: string,
      fd: number,
      buffer: Buffer,
      length: number,
      position: number,
      cb: (n: number) => void,
    ) => fsRead(fd, buffer, 0, length, position, (error, bytes) => cb(error ? Fuse.EIO : bytes)),
    release: (_p: string, fd: number, cb: (e: number) => void) => {
      closeSync(fd);
      cb(0);
    },
  };
  const fuse = new Fuse(mountpoint, ops, {
    force: true,
    mkdir: true,
    fsname: "cce4long-passthrough,direct_io",
  });
  await new Promise<void>((resolve, reject) => fuse.mount((e) => (e ? reject(e) : resolve())));
  return {
    unmount: () => new Promise<void>((resolve, reject) => fuse.unmount((e) => (e ? reject(e) : resolve()))),
  };
}
