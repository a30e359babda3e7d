/**
 * What an output file really is, from its bytes (runs inside the TEE): the gate trusts a file's
 * declared format only when its content agrees, so a CSV cannot hide in a ".png".
 */
export type ContentType = "png" | "jpg" | "pdf" | "svg" | "parquet" | "text" | "binary";

import { isUtf8 } from "node:buffer";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const loose = new TextDecoder();

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** Decodes UTF-8 text, or null when the bytes are not text (invalid UTF-8 or NUL bytes). */
export function decodeText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

export function sniffContent(bytes: Uint8Array): ContentType {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpg";
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return "pdf"; // %PDF-
  const par1 = [0x50, 0x41, 0x52, 0x31];
  if (bytes.length >= 12 && startsWith(bytes, par1) && startsWith(bytes.subarray(bytes.length - 4), par1)) {
    return "parquet";
  }
  // Validated without decoding the whole file (isUtf8 is native and vectorized).
  if (bytes.includes(0) || !isUtf8(bytes)) return "binary";
  // 16 KiB of valid UTF-8 holds at least the first 4,096 UTF-16 units of the text.
  const head = loose.decode(bytes.subarray(0, 16_384)).slice(0, 4096);
  return /<svg[\s>]/i.test(head) ? "svg" : "text";
}

/** The content a declared format must have. */
export function expectedContent(format: string): ContentType | "any" {
  switch (format) {
    case "csv":
    case "json":
    case "txt":
    case "md":
      return "text";
    case "parquet":
    case "png":
    case "pdf":
    case "svg":
      return format;
    case "jpg":
    case "jpeg":
      return "jpg";
    default:
      return "any"; // model weights: safetensors, npy, npz, onnx, bin
  }
}
