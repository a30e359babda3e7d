/**
 * A FIFO of byte pieces that hands out exact-size frames, copying only when a frame spans pieces.
 * Used by the streaming decryptor to cut an arbitrary byte stream into header and chunks.
 */
export class ByteQueue {
  private readonly parts: Uint8Array[] = [];
  /** Bytes already taken from parts[0]. */
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.parts.push(piece);
    this.total += piece.length;
  }

  /** Copies the first `n` bytes without consuming them (n <= length). */
  peek(n: number): Uint8Array {
    return this.read(n, false);
  }

  /** Removes and returns the first `n` bytes (n <= length): a view when they sit in one piece. */
  take(n: number): Uint8Array {
    return this.read(n, true);
  }

  private read(n: number, consume: boolean): Uint8Array {
    if (n > this.total) throw new RangeError(`ByteQueue: asked for ${n} bytes, holds ${this.total}`);
    const first = this.parts[0];
    if (first !== undefined && first.length - this.head >= n) {
      const view = first.subarray(this.head, this.head + n);
      if (consume) this.advance(n);
      return consume ? view : new Uint8Array(view); // a copy, also when the piece is a Buffer
    }
    const out = new Uint8Array(n);
    let filled = 0;
    let part = 0;
    let offset = this.head;
    while (filled < n) {
      const piece = this.parts[part]!;
      const count = Math.min(piece.length - offset, n - filled);
      out.set(piece.subarray(offset, offset + count), filled);
      filled += count;
      part++;
      offset = 0;
    }
    if (consume) this.advance(n);
    return out;
  }

  private advance(n: number): void {
    this.total -= n;
    let left = n;
    while (left > 0) {
      const first = this.parts[0]!;
      const available = first.length - this.head;
      if (available > left) {
        this.head += left;
        return;
      }
      left -= available;
      this.parts.shift();
      this.head = 0;
    }
  }
}
