/**
 * A bounded read-ahead cache of verified plaintext chunks for one open file of the decrypting FUSE
 * (boot agent; runs in the Confidential VM, locally on the developer's machine). With direct_io the
 * kernel sends a reader's sequential reads one at a time (128 KiB each, the next only after the
 * previous answer), so decrypting on demand leaves the FUSE idle while the kernel and the reader work.
 * Here a sequential read also starts reading and verifying the next chunks, which are then ready when
 * the kernel asks for them. Only chunks whose tag verified are kept, in this process's memory only;
 * a chunk that failed keeps its error, so a read that needs it is EIO. A chunk's plaintext (the
 * decipher's own output buffer) is wiped and freed at once when it leaves the cache (eviction, close).
 */
import type { Cce4longError } from "@cce4long/protocol";
import type { ChunkOutcome, SealedLowerFile } from "./sealed-lower-file";

export interface ReadAheadOptions {
  /** Plaintext bytes to read ahead of a sequential reader (rounded down to whole chunks; 0: none). */
  aheadBytes: number;
  /** The most plaintext one open file holds between reads (at least two chunks). */
  fileBytes: number;
  /** The most plaintext all open files of a mount hold; beyond it nothing is read ahead or kept. */
  mountBytes: number;
  /**
   * Size of one read-ahead request to the lower layer (rounded down to whole chunks; 0 or unset: each
   * missing run at once). With it, read-ahead waits until that much is missing (or the file's end is
   * reached) and splits longer runs, so a high-latency lower layer (HTTP) gets a few large requests in
   * flight instead of one per kernel read.
   */
  fetchBytes?: number;
}

export const DEFAULT_READ_AHEAD: ReadAheadOptions = {
  aheadBytes: 512 * 1024,
  fileBytes: 1024 * 1024,
  mountBytes: 64 * 1024 * 1024,
};

/**
 * For the object-store lower layer: 16 MiB ahead in requests of 4 MiB (up to four in flight per file),
 * so each ranged GET's round trip is spread over many chunks. Against the local s3rver stand-in this
 * read 128 MiB in 0.52-0.71 s where 8 MiB ahead in 2 MiB requests took 0.58-0.83 s (same runs, load 4).
 */
export const OBJECT_STORE_READ_AHEAD: ReadAheadOptions = {
  aheadBytes: 16 * 1024 * 1024,
  fileBytes: 20 * 1024 * 1024,
  mountBytes: 64 * 1024 * 1024,
  fetchBytes: 4 * 1024 * 1024,
};

/** The plaintext bytes held (or on their way) by all open files of one mount. */
export class PlaintextBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

interface Entry {
  /** Settles once the chunk is verified (plain) or refused (error); never rejects. */
  ready: Promise<void>;
  plain?: Buffer;
  error?: Cce4longError;
  /** Reads copying from this chunk right now: it is not wiped under them. */
  pins: number;
  /** Left the cache while pinned or in flight: wiped when the last user is done. */
  dropped: boolean;
  /** Bytes this entry counts against the mount's budget until it leaves the cache. */
  reserved: number;
}

/**
 * Zeroes a chunk's plaintext and frees its memory now: detaching the ArrayBuffer (transfer to length
 * 0) releases the backing store at once, where a dropped reference would wait for a full garbage
 * collection, and a 64 KiB buffer per chunk otherwise forces one every few megabytes read. Only a
 * buffer that owns its whole ArrayBuffer is detached (never a slice of a shared pool).
 */
function wipeAndFree(buffer: Buffer): void {
  buffer.fill(0);
  const backing = buffer.buffer as ArrayBuffer & { transfer?(length: number): ArrayBuffer };
  if (buffer.byteOffset === 0 && buffer.byteLength === backing.byteLength && backing.transfer)
    backing.transfer(0);
}

export class ReadAheadCache {
  private readonly entries = new Map<number, Entry>();
  private readonly aheadChunks: number;
  private readonly maxChunks: number;
  /** Chunks per read-ahead request (0: whole missing runs). */
  private readonly fetchChunks: number;
  private nextSequential = 0;
  private closed = false;

  constructor(
    private readonly file: SealedLowerFile,
    private readonly budget: PlaintextBudget,
    options: Pick<ReadAheadOptions, "aheadBytes" | "fileBytes" | "fetchBytes"> = DEFAULT_READ_AHEAD,
  ) {
    this.maxChunks = Math.max(2, Math.floor(options.fileBytes / file.chunkSize));
    const ahead = Math.floor(options.aheadBytes / file.chunkSize);
    this.aheadChunks = Math.max(0, Math.min(ahead, this.maxChunks - 2));
    this.fetchChunks = Math.max(0, Math.floor((options.fetchBytes ?? 0) / file.chunkSize));
  }

  /**
   * Copies plaintext [start, end) into `target` at 0; throws the chunk's error (the caller answers
   * EIO) if any chunk it needs did not verify, after zeroing what it wrote.
   */
  async readInto(start: number, end: number, target: Buffer): Promise<number> {
    if (start >= end) return 0;
    const { chunkSize } = this.file;
    const first = Math.floor(start / chunkSize);
    const last = Math.floor((end - 1) / chunkSize);
    const sequential = start === this.nextSequential;
    this.nextSequential = end;
    this.fetchMissing(first, last);
    const needed: Entry[] = [];
    for (let i = first; i <= last; i++) {
      const entry = this.entries.get(i)!;
      entry.pins++;
      needed.push(entry);
    }
    // Started before awaiting: the next chunks are read and verified while these are copied and the
    // kernel hands them to the reader.
    const aheadTo = Math.min(this.file.chunkCount - 1, last + this.aheadChunks);
    if (
      sequential &&
      aheadTo > last &&
      this.budget.used + (aheadTo - last) * chunkSize <= this.budget.limit
    ) {
      this.fetchAhead(last + 1, aheadTo);
    }
    try {
      for (const entry of needed) await entry.ready;
      for (let i = first; i <= last; i++) {
        const entry = needed[i - first]!;
        if (!entry.plain) throw entry.error!;
        const chunkStart = i * chunkSize;
        const lo = Math.max(start, chunkStart) - chunkStart;
        const hi = Math.min(end, chunkStart + entry.plain.length) - chunkStart;
        entry.plain.copy(target, chunkStart + lo - start, lo, hi);
      }
      return end - start;
    } catch (error) {
      target.fill(0, 0, end - start);
      throw error;
    } finally {
      for (let i = first; i <= last; i++) {
        const entry = needed[i - first]!;
        entry.pins--;
        if (entry.dropped) this.wipeIfUnused(entry);
        // A refused chunk is not remembered: a retry reads (and checks) it again.
        else if (entry.error && this.entries.get(i) === entry) this.drop(i);
      }
      // A sequential reader never comes back for the chunks behind it.
      if (sequential) this.dropBelow(Math.floor(end / chunkSize));
      // Over the mount's budget (many open files), this file keeps nothing beyond its reads.
      if (this.budget.used > this.budget.limit) this.dropOutside(first, last, 0);
      else this.dropOutside(first, last, this.maxChunks);
    }
  }

  /** Wipes every cached plaintext; chunks still in flight are wiped when they land. */
  close(): void {
    this.closed = true;
    for (const index of [...this.entries.keys()]) this.drop(index);
  }

  /** Starts one lower read for each run of chunks in [from, to] not cached or in flight. */
  private fetchMissing(from: number, to: number): void {
    let runStart = -1;
    for (let i = from; i <= to + 1; i++) {
      const missing = i <= to && !this.entries.has(i);
      if (missing && runStart < 0) runStart = i;
      if (!missing && runStart >= 0) {
        this.fetchRun(runStart, i - 1);
        runStart = -1;
      }
    }
  }

  /**
   * Read-ahead of [from, to]: with a request size set, missing runs go out in pieces of that size, and
   * a shorter piece only when it ends the file (the rest waits for the next read to grow it).
   */
  private fetchAhead(from: number, to: number): void {
    if (this.fetchChunks === 0) {
      this.fetchMissing(from, to);
      return;
    }
    let i = from;
    while (i <= to) {
      if (this.entries.has(i)) {
        i++;
        continue;
      }
      let end = i;
      while (end < to && end - i + 1 < this.fetchChunks && !this.entries.has(end + 1)) end++;
      if (end - i + 1 < this.fetchChunks && end !== this.file.chunkCount - 1) return;
      this.fetchRun(i, end);
      i = end + 1;
    }
  }

  private fetchRun(first: number, last: number): void {
    const run: Entry[] = [];
    const landed = this.file.readChunks(first, last).then(
      (outcomes) => outcomes,
      (error: unknown) => run.map(() => error as Cce4longError),
    );
    for (let i = first; i <= last; i++) {
      const entry: Entry = {
        ready: Promise.resolve(),
        pins: 0,
        dropped: false,
        reserved: this.file.chunkSize,
      };
      this.budget.used += entry.reserved;
      const offset = i - first;
      entry.ready = landed.then((outcomes: ChunkOutcome[] | Cce4longError[]) => {
        const outcome = outcomes[offset]!;
        if (Buffer.isBuffer(outcome)) entry.plain = outcome;
        else entry.error = outcome;
        if (this.closed || entry.dropped) {
          entry.dropped = true;
          this.wipeIfUnused(entry);
        }
      });
      run.push(entry);
      this.entries.set(i, entry);
    }
  }

  private dropBelow(index: number): void {
    for (const key of [...this.entries.keys()]) if (key < index) this.drop(key);
  }

  /** Oldest-first eviction of chunks outside the current read until at most `keep` remain. */
  private dropOutside(first: number, last: number, keep: number): void {
    for (const key of [...this.entries.keys()]) {
      if (this.entries.size <= keep) return;
      if (key < first || key > last) this.drop(key);
    }
  }

  private drop(index: number): void {
    const entry = this.entries.get(index);
    if (!entry) return;
    this.entries.delete(index);
    entry.dropped = true;
    this.budget.used -= entry.reserved;
    entry.reserved = 0;
    this.wipeIfUnused(entry);
  }

  private wipeIfUnused(entry: Entry): void {
    if (entry.pins > 0 || !entry.plain) return;
    wipeAndFree(entry.plain);
    entry.plain = undefined;
  }
}
