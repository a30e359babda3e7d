/**
 * The lower layer as the decrypting FUSE and the boot agent's checks read it (boot agent; runs in the
 * Confidential VM, locally on the developer's machine): ciphertext files opened by name, each with its
 * size and positional reads. Two implementations: local files (directory-lower-layer.ts: the FUSE
 * bench and tests) and ranged GETs on presigned object-store URLs (object-store-lower-layer.ts: every
 * job, in the VM and locally). Nothing read through it is trusted: the file format authenticates every
 * header and chunk, and the boot agent holds the files to the version manifest first.
 */

/** One open ciphertext file of the lower layer. */
export interface LowerFile {
  /** The file's size in bytes, as the lower layer reports it (checked against the header by the reader). */
  readonly size: number;
  /**
   * Reads `length` bytes at `position` into `target` from its start and resolves with the filled part
   * (shorter only if the file ends first). Fails with a typed error (the FUSE answers EIO).
   */
  read(target: Buffer, length: number, position: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens lower-layer files by the name the mount's file table gives them (MountedFile.lowerPath). */
export interface LowerLayer {
  open(lowerPath: string): Promise<LowerFile>;
}
