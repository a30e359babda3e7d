/**
 * The shared-memory copy of an output that the gate's scan workers read (runs inside the TEE). One
 * buffer is kept between scans: a fresh SharedArrayBuffer is zeroed memory that the copy then faults
 * in page by page (1 to 5 ms per 10 MB on the bench machine, in every scan). A scan that finds it
 * taken or too small gets a new one. Every copy is wiped when its scan is done, and a buffer over
 * MAX_SPARE_BYTES is not kept, so at most that much stays allocated between scans, all zeros.
 */

export const MAX_SPARE_BYTES = 32 * 2 ** 20;

let spare: SharedArrayBuffer | null = null;

/** A copy of `bytes` in shared memory (a view of exactly its length); give it back with releaseSharedCopy. */
export function sharedCopy(bytes: Uint8Array): Uint8Array {
  let buffer = spare;
  if (buffer !== null && buffer.byteLength >= bytes.length) spare = null;
  else buffer = new SharedArrayBuffer(bytes.length);
  const copy = new Uint8Array(buffer, 0, bytes.length);
  copy.set(bytes);
  return copy;
}

/** Wipes the copy; its buffer is kept for the next scan when it is the largest one not over the cap. */
export function releaseSharedCopy(copy: Uint8Array): void {
  copy.fill(0);
  const buffer = copy.buffer as SharedArrayBuffer;
  if (buffer.byteLength > MAX_SPARE_BYTES) return;
  if (spare === null || spare.byteLength < buffer.byteLength) spare = buffer;
}
