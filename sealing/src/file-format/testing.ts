/**
 * Helpers shared by the file format's tests (not exported from the package): run every reader over the
 * same bytes and report the error code each one raised.
 */
import { isCce4longError } from "@cce4long/protocol";
import { decryptBuffer } from "./buffer";
import { openSealedFile } from "./random-access";
import { bufferReader } from "./reader";
import { decryptStream } from "./stream";

export const TEST_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);

/** Pseudo-random but reproducible bytes (not crypto: test data only). */
export function patternBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function* piecesOf(bytes: Uint8Array, pieceSize: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += pieceSize) yield bytes.subarray(at, at + pieceSize);
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(Uint8Array.from(part));
  return Buffer.concat(parts);
}

async function codeOf(action: () => unknown): Promise<string> {
  try {
    await action();
    return "OK";
  } catch (error) {
    return isCce4longError(error) ? error.code : `UNTYPED: ${String(error)}`;
  }
}

/** The outcome of the whole-buffer, random-access (whole range) and streaming readers, in that order. */
export async function outcomes(file: Uint8Array, key: Uint8Array, pieceSize = 37): Promise<string[]> {
  return [
    await codeOf(() => decryptBuffer(file, key)),
    await codeOf(async () => {
      const opened = await openSealedFile(bufferReader(file), key);
      try {
        await opened.read(0, opened.plaintextLength);
      } finally {
        opened.close();
      }
    }),
    await codeOf(() => collect(decryptStream(piecesOf(file, pieceSize), key))),
  ];
}
