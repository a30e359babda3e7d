/**
 * Overwrites key buffers with zeros once they are no longer needed (runs wherever key material lives:
 * the TEE, the boot agent, the data owner's CLI).
 *
 * JavaScript gives no guarantee: the GC may have copied the bytes, a string or hex form may exist, and
 * node:crypto KeyObjects keep their own copy in native memory. We wipe what we hold, which shortens the
 * time a heap dump or a use-after-free would find the key; it is hygiene, not a proof.
 */
export function wipe(...buffers: ReadonlyArray<Uint8Array | undefined>): void {
  for (const buffer of buffers) buffer?.fill(0);
}

/** Runs `use` with `secret` and wipes `secret` afterwards, whether `use` succeeds or throws. */
export async function withWiped<T>(
  secret: Uint8Array,
  use: (secret: Uint8Array) => Promise<T> | T,
): Promise<T> {
  try {
    return await use(secret);
  } finally {
    wipe(secret);
  }
}
