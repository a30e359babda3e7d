/**
 * Reproducible tarballs of algorithm sources (runs anywhere): POSIX ustar with regular files only,
 * entries sorted by path, mtime 0, uid/gid 0, empty user/group names, mode 0644 (0755 if executable).
 * The same files always give the same bytes, so the sha256 of the tarball names the source.
 * `readTar` accepts only tarballs in exactly this form (it re-creates them and compares).
 */
import { Cce4longError } from "../errors/index";

const BLOCK = 512;
/** One file is at most 256 MiB: sources are code, not data. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

export interface TarFile {
  /** Relative path with "/" separators, no "..", no leading "/". */
  path: string;
  bytes: Uint8Array;
  executable?: boolean;
}

export function createTar(files: readonly TarFile[]): Uint8Array {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blocks: Uint8Array[] = [];
  let total = 0;
  for (const [i, file] of sorted.entries()) {
    checkPath(file.path);
    if (i > 0 && sorted[i - 1]!.path === file.path) invalid(`file ${file.path} is listed twice`);
    if (file.bytes.length > MAX_FILE_BYTES) invalid(`file ${file.path} is larger than 256 MiB`);
    const header = headerOf(file);
    const padded = new Uint8Array(Math.ceil(file.bytes.length / BLOCK) * BLOCK);
    padded.set(file.bytes);
    blocks.push(header, padded);
    total += header.length + padded.length;
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  total += 2 * BLOCK;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const block of blocks) {
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}

/** Parses a tarball made by createTar; VALIDATION_FAILED for anything else (other tools' tarballs included). */
export function readTar(tar: Uint8Array): TarFile[] {
  const files: TarFile[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const path = field(header, 345, 155)
      ? `${field(header, 345, 155)}/${field(header, 0, 100)}`
      : field(header, 0, 100);
    const mode = Number.parseInt(field(header, 100, 8), 8);
    const size = Number.parseInt(field(header, 124, 12), 8);
    if (!Number.isSafeInteger(size) || size < 0 || offset + BLOCK + size > tar.length) {
      invalid(`tar entry ${JSON.stringify(path)} has a bad size`);
    }
    files.push({
      path,
      bytes: tar.slice(offset + BLOCK, offset + BLOCK + size),
      executable: mode === 0o755,
    });
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  const recreated = createTar(files);
  if (recreated.length !== tar.length || !recreated.every((b, i) => b === tar[i])) {
    invalid("tarball is not in the reproducible form (sorted ustar, fixed owner, mode and mtime)");
  }
  return files;
}

function headerOf(file: TarFile): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const { name, prefix } = splitPath(file.path);
  put(header, 0, 100, name);
  put(header, 100, 8, octal(file.executable ? 0o755 : 0o644, 7));
  put(header, 108, 8, octal(0, 7));
  put(header, 116, 8, octal(0, 7));
  put(header, 124, 12, octal(file.bytes.length, 11));
  put(header, 136, 12, octal(0, 11));
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  header[156] = 0x30; // '0': regular file
  put(header, 257, 6, "ustar\0");
  put(header, 263, 2, "00");
  put(header, 345, 155, prefix);
  const sum = header.reduce((acc, b) => acc + b, 0);
  put(header, 148, 8, `${octal(sum, 6)}\0 `);
  return header;
}

function splitPath(path: string): { name: string; prefix: string } {
  const bytes = new TextEncoder().encode(path).length;
  if (bytes <= 100) return { name: path, prefix: "" };
  for (let cut = path.indexOf("/"); cut !== -1; cut = path.indexOf("/", cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (new TextEncoder().encode(prefix).length <= 155 && new TextEncoder().encode(name).length <= 100) {
      return { name, prefix };
    }
  }
  return invalid(`path too long for a ustar archive: ${path}`);
}

function checkPath(path: string): void {
  if (
    path === "" ||
    path.startsWith("/") ||
    path.endsWith("/") ||
    path.split("/").some((part) => part === "" || part === "." || part === "..") ||
    /[\0\\]/.test(path)
  ) {
    invalid(`file path must be relative, "/"-separated, without "." or "..": ${JSON.stringify(path)}`);
  }
}

function octal(value: number, digits: number): string {
  return value.toString(8).padStart(digits, "0");
}

function put(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > length) invalid(`tar header field too long: ${text}`);
  header.set(bytes, offset);
}

function field(header: Uint8Array, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return new TextDecoder().decode(end === -1 ? raw : raw.subarray(0, end)).trim();
}

function invalid(message: string): never {
  throw new Cce4longError("VALIDATION_FAILED", message);
}
