/**
 * `cce4long file encrypt|decrypt|inspect`: the encrypted file format (docs/encrypted-file-format.md) for
 * operators and tests (runs on the data owner's or operator's machine). Keys are read from a file and never
 * printed; decrypt writes plaintext only to a 0600 temp file renamed into place after full verification.
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Cce4longError } from "@cce4long/protocol";
import {
  chunkCount,
  DEFAULT_CHUNK_SIZE,
  decryptStream,
  encryptedFileLength,
  encryptStream,
  type FileHeader,
  HEADER_MAX_LENGTH,
  headerLength,
  parseHeader,
} from "@cce4long/sealing";
import type { Command } from "commander";
import type { Output } from "../output";
import type { CommandGroup } from "./index";

const STREAM_PIECE = 1024 * 1024;

export const fileCommands: CommandGroup = (program: Command, output: () => Output) => {
  const file = program
    .command("file")
    .description("encrypt, decrypt and inspect files in the cce4long encrypted file format (v1)");

  file
    .command("encrypt")
    .description("encrypt IN under a dataset key into OUT (a fresh random file id every time)")
    .requiredOption("--key-file <path>", "the dataset key: 32 raw bytes or 64 hex characters")
    .requiredOption("--dataset <id>", "dataset id recorded in the header (1-128 of A-Z a-z 0-9 . _ : -)")
    .option("--key-version <n>", "key version recorded in the header", "1")
    .option("--chunk-size <bytes>", "plaintext bytes per chunk (64 to 16777216)", String(DEFAULT_CHUNK_SIZE))
    .argument("<in>", "plaintext file")
    .argument("<out>", "encrypted file to write (replaced only on success)")
    .action(
      async (
        inPath: string,
        outPath: string,
        flags: { keyFile: string; dataset: string; keyVersion: string; chunkSize: string },
      ) => {
        const key = await readKeyFile(flags.keyFile);
        try {
          const plaintextLength = (await statInput(inPath)).size;
          const options = {
            key,
            datasetId: flags.dataset,
            keyVersion: parseInteger("--key-version", flags.keyVersion),
            chunkSize: parseInteger("--chunk-size", flags.chunkSize),
            plaintextLength,
          };
          await writeAtomically(outPath, 0o644, (sink) =>
            pipeline(
              createReadStream(inPath, { highWaterMark: STREAM_PIECE }),
              (source) => encryptStream(source, options),
              sink,
            ),
          );
          const { header, size } = await readHeader(outPath);
          output().result(
            summarize(header, size, outPath),
            () =>
              `encrypted ${plaintextLength} bytes of ${inPath} into ${outPath} (dataset ${header.datasetId}, key version ${header.keyVersion})`,
          );
        } finally {
          key.fill(0);
        }
      },
    );

  file
    .command("decrypt")
    .description("verify and decrypt IN into OUT; on any failure OUT is left untouched")
    .requiredOption("--key-file <path>", "the dataset key: 32 raw bytes or 64 hex characters")
    .argument("<in>", "encrypted file")
    .argument("<out>", "plaintext file to write (created with mode 0600, only after full verification)")
    .action(async (inPath: string, outPath: string, flags: { keyFile: string }) => {
      const key = await readKeyFile(flags.keyFile);
      try {
        await statInput(inPath);
        let header: FileHeader | undefined;
        await writeAtomically(outPath, 0o600, (sink) =>
          pipeline(
            createReadStream(inPath, { highWaterMark: STREAM_PIECE }),
            (source) => decryptStream(source, key, { onHeader: (h) => (header = h) }),
            sink,
          ),
        );
        const h = header!;
        output().result(
          {
            path: outPath,
            datasetId: h.datasetId,
            keyVersion: h.keyVersion,
            plaintextLength: h.plaintextLength,
          },
          () =>
            `decrypted and verified ${h.plaintextLength} bytes into ${outPath} (dataset ${h.datasetId}, key version ${h.keyVersion})`,
        );
      } finally {
        key.fill(0);
      }
    });

  file
    .command("inspect")
    .description("print an encrypted file's header (unauthenticated: no key is used)")
    .argument("<in>", "encrypted file")
    .action(async (inPath: string) => {
      const { header, size } = await readHeader(inPath);
      const result = summarize(header, size, inPath);
      output().result(result, () =>
        [
          `file:            ${inPath}  (header not authenticated: inspect uses no key)`,
          `format version:  ${result.version}`,
          `dataset id:      ${result.datasetId}`,
          `key version:     ${result.keyVersion}`,
          `file id:         ${result.fileId}`,
          `chunk size:      ${result.chunkSize}`,
          `plaintext bytes: ${result.plaintextLength}`,
          `chunks:          ${result.chunkCount}`,
          `file bytes:      ${result.fileLength}${result.lengthMatchesHeader ? "" : `  (header expects ${result.expectedFileLength}: truncated or extended)`}`,
        ].join("\n"),
      );
    });
};

function summarize(header: FileHeader, size: number, path: string) {
  const expectedFileLength = encryptedFileLength(
    headerLength(header.datasetId),
    header.plaintextLength,
    header.chunkSize,
  );
  return {
    path,
    version: header.version,
    datasetId: header.datasetId,
    keyVersion: header.keyVersion,
    fileId: Buffer.from(header.fileId).toString("hex"),
    chunkSize: header.chunkSize,
    plaintextLength: header.plaintextLength,
    chunkCount: chunkCount(header.plaintextLength, header.chunkSize),
    fileLength: size,
    expectedFileLength,
    lengthMatchesHeader: size === expectedFileLength,
  };
}

/** Reads a key file: exactly 32 raw bytes, or 64 hex characters with at most one trailing newline. */
export async function readKeyFile(path: string): Promise<Uint8Array> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new Cce4longError("NOT_FOUND", `key file not found or unreadable: ${path}`, { cause });
  });
  if (!info.isFile() || info.size > 128) throw keyFileInvalid(path, info.size);
  const raw = await readFile(path);
  try {
    if (raw.length === 32) return Uint8Array.from(raw);
    const text = raw.toString("latin1").replace(/\r?\n$/, "");
    if (/^[0-9a-fA-F]{64}$/.test(text)) return Uint8Array.from(Buffer.from(text, "hex"));
    throw keyFileInvalid(path, raw.length);
  } finally {
    raw.fill(0);
  }
}

function keyFileInvalid(path: string, size: number): Cce4longError {
  return new Cce4longError(
    "SEAL_KEY_INVALID",
    `key file ${path} must hold exactly 32 raw bytes or 64 hex characters (it holds ${size} bytes)`,
  );
}

function parseInteger(flag: string, value: string): number {
  if (!/^[0-9]{1,10}$/.test(value)) {
    throw new Cce4longError("VALIDATION_FAILED", `${flag} must be a decimal integer, got "${value}"`);
  }
  return Number(value);
}

async function statInput(path: string) {
  const info = await stat(path).catch((cause: unknown) => {
    throw new Cce4longError("NOT_FOUND", `input file not found or unreadable: ${path}`, { cause });
  });
  if (!info.isFile()) throw new Cce4longError("VALIDATION_FAILED", `input is not a regular file: ${path}`);
  return info;
}

async function readHeader(path: string): Promise<{ header: FileHeader; size: number }> {
  const { size } = await statInput(path);
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(Math.min(size, HEADER_MAX_LENGTH));
    await handle.read(head, 0, head.length, 0);
    return { header: parseHeader(head).header, size };
  } finally {
    await handle.close();
  }
}

/**
 * Writes through a fresh temp file beside `path` (created here, exclusively, with `mode`), renames it over
 * `path` on success and removes it on any failure, so a failed run leaves neither partial output nor debris.
 */
async function writeAtomically(
  path: string,
  mode: number,
  write: (sink: NodeJS.WritableStream) => Promise<void>,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.partial`);
  const handle = await open(tmp, "wx", mode).catch((cause: unknown) => {
    throw new Cce4longError("VALIDATION_FAILED", `cannot create the output beside ${path}`, { cause });
  });
  try {
    await write(handle.createWriteStream());
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  } finally {
    await handle.close().catch(() => undefined); // already closed by the stream on success
  }
}
