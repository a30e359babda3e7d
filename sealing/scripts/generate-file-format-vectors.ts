/**
 * Writes the encrypted file format's test vectors (test/vectors/encrypted-file-format/) from fixed inputs.
 * Runs on a developer machine: `npx tsx sealing/scripts/generate-file-format-vectors.ts`. Deterministic:
 * running it again must produce byte-identical files (the vector test checks the implementation against them).
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beginWriteWithFileId, type EncryptOptions } from "../src/file-format/begin-write";
import { sealWith } from "../src/file-format/buffer";
import { parseHeader } from "../src/file-format/header";
import { deriveFileKeys, deriveKeyCheck } from "../src/file-format/keys";

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../test/vectors/encrypted-file-format");

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();

/** The fixed test key: bytes 0x00, 0x01, ..., 0x1f. Public; never a real key. */
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
/** Plaintext byte i is i mod 251 (a prime period, so chunks of any size differ from each other). */
const plaintextOf = (length: number) => Uint8Array.from({ length }, (_, i) => i % 251);
/** File id of a vector: the first 16 bytes of SHA-256("cce4long file-format vector file id: " || name). */
const fileIdOf = (name: string) =>
  sha256(Buffer.from(`cce4long file-format vector file id: ${name}`)).subarray(0, 16);

interface Case {
  name: string;
  description: string;
  length: number;
  datasetId: string;
  keyVersion: number;
  chunkSize: number;
  /** Large vectors record hashes instead of the bytes. */
  byHash?: boolean;
}

const SMALL = 64;
const CASES: Case[] = [
  {
    name: "size-0",
    description: "empty file: one empty chunk, last",
    length: 0,
    datasetId: "ds-vectors",
    keyVersion: 1,
    chunkSize: SMALL,
  },
  {
    name: "size-1",
    description: "one byte",
    length: 1,
    datasetId: "ds-vectors",
    keyVersion: 1,
    chunkSize: SMALL,
  },
  {
    name: "size-chunk-minus-1",
    description: "chunk size - 1",
    length: SMALL - 1,
    datasetId: "ds-vectors",
    keyVersion: 1,
    chunkSize: SMALL,
  },
  {
    name: "size-chunk",
    description: "exactly one full chunk (no extra empty chunk)",
    length: SMALL,
    datasetId: "ds-vectors",
    keyVersion: 1,
    chunkSize: SMALL,
  },
  {
    name: "size-chunk-plus-1",
    description: "one full chunk and a 1-byte last chunk",
    length: SMALL + 1,
    datasetId: "ds-vectors",
    keyVersion: 1,
    chunkSize: SMALL,
  },
  {
    name: "size-3-chunks",
    description: "three full chunks",
    length: 3 * SMALL,
    datasetId: "ds-vectors",
    keyVersion: 1,
    chunkSize: SMALL,
  },
  {
    name: "key-version-7-bytes32-dataset",
    description: "key version 7 and a 66-character dataset id (a 0x-prefixed bytes32), 200 bytes",
    length: 200,
    datasetId: `0x${"ab".repeat(32)}`,
    keyVersion: 7,
    chunkSize: SMALL,
  },
  {
    name: "default-chunk-3-chunks-plus-17",
    description: "default 64 KiB chunks, 3 full chunks and a 17-byte last chunk; recorded by SHA-256",
    length: 3 * 65536 + 17,
    datasetId: "ds-vectors",
    keyVersion: 1,
    chunkSize: 65536,
    byHash: true,
  },
];

function seal(c: Case, fileId: Uint8Array, plaintext = plaintextOf(c.length)): Uint8Array {
  const options: EncryptOptions = {
    key: KEY,
    datasetId: c.datasetId,
    keyVersion: c.keyVersion,
    chunkSize: c.chunkSize,
  };
  return sealWith(beginWriteWithFileId(options, plaintext.length, fileId), plaintext);
}

function validVector(c: Case) {
  const fileId = fileIdOf(c.name);
  const plaintext = plaintextOf(c.length);
  const file = seal(c, fileId, plaintext);
  const { bytes: header } = parseHeader(file);
  const keys = deriveFileKeys(KEY, fileId, c.datasetId, c.keyVersion);
  const base = {
    name: c.name,
    description: c.description,
    key_hex: hex(KEY),
    dataset_id: c.datasetId,
    key_version: c.keyVersion,
    chunk_size: c.chunkSize,
    file_id_hex: hex(fileId),
    plaintext_length: c.length,
    intermediate: {
      key_check_hex: hex(deriveKeyCheck(KEY, c.datasetId, c.keyVersion)),
      chunk_key_hex: hex(keys.chunkKey),
      header_mac_key_hex: hex(keys.macKey),
      header_hex: hex(header),
      header_hash_hex: hex(sha256(header)),
    },
    file_length: file.length,
  };
  if (c.byHash) {
    return {
      ...base,
      plaintext_rule: "byte i = i mod 251",
      plaintext_sha256_hex: hex(sha256(plaintext)),
      file_sha256_hex: hex(sha256(file)),
    };
  }
  return { ...base, plaintext_hex: hex(plaintext), file_hex: hex(file) };
}

/** Tampered files built from the valid vectors, each with the error a reader must raise. */
function invalidVectors() {
  const find = (name: string) => CASES.find((c) => c.name === name)!;
  const three = find("size-3-chunks");
  const threeFile = seal(three, fileIdOf(three.name));
  const h = parseHeader(threeFile).bytes.length;
  const frame = three.chunkSize + 16;
  const chunk = (i: number) => threeFile.slice(h + i * frame, h + (i + 1) * frame);
  const head = threeFile.slice(0, h);
  const edit = (at: number, xor: number) => {
    const copy = threeFile.slice();
    copy[at] = copy[at]! ^ xor;
    return copy;
  };
  const otherFile = seal(three, fileIdOf("size-3-chunks/other"));
  const otherDataset = seal({ ...three, datasetId: "ds-other" }, fileIdOf(three.name));
  const otherH = parseHeader(otherDataset).bytes.length;
  const wrongKey = Uint8Array.from(KEY);
  wrongKey[31] = wrongKey[31]! ^ 1;
  const cat = (...parts: Uint8Array[]) => Buffer.concat(parts);
  const v = (name: string, description: string, file: Uint8Array, expected_error: string, key = KEY) => ({
    name,
    description,
    key_hex: hex(key),
    file_hex: hex(file),
    expected_error,
  });
  return [
    v("empty-input", "zero bytes", new Uint8Array(0), "SEAL_FORMAT_INVALID"),
    v("bad-magic", "first byte 0x89 changed to 0x88", edit(0, 0x01), "SEAL_FORMAT_INVALID"),
    v(
      "version-2",
      "version byte set to 2",
      (() => {
        const c = threeFile.slice();
        c[8] = 2;
        return c;
      })(),
      "SEAL_VERSION_UNSUPPORTED",
    ),
    v("header-truncated", "only the first 50 header bytes", threeFile.slice(0, 50), "SEAL_FORMAT_INVALID"),
    v("wrong-key", "valid file, key with its last bit flipped", threeFile, "SEAL_KEY_INVALID", wrongKey),
    v(
      "dataset-id-edited",
      "one dataset id character changed (key check fails)",
      edit(10, 0x01),
      "SEAL_KEY_INVALID",
    ),
    v("file-id-edited", "one file id bit flipped (header MAC fails)", edit(h - 80, 0x01), "SEAL_INTEGRITY"),
    v(
      "tag-bit-flipped",
      "last bit of the last chunk's tag flipped",
      edit(threeFile.length - 1, 0x01),
      "SEAL_INTEGRITY",
    ),
    v(
      "ciphertext-bit-flipped",
      "first ciphertext bit of chunk 1 flipped",
      edit(h + frame, 0x80),
      "SEAL_INTEGRITY",
    ),
    v("chunks-swapped", "chunks 0 and 1 swapped", cat(head, chunk(1), chunk(0), chunk(2)), "SEAL_INTEGRITY"),
    v(
      "chunk-duplicated",
      "chunk 0 written over chunk 1",
      cat(head, chunk(0), chunk(0), chunk(2)),
      "SEAL_INTEGRITY",
    ),
    v("truncated-at-chunk-boundary", "last chunk removed", cat(head, chunk(0), chunk(1)), "SEAL_INTEGRITY"),
    v(
      "truncated-mid-chunk",
      "last chunk cut to 40 bytes",
      cat(head, chunk(0), chunk(1), chunk(2).subarray(0, 40)),
      "SEAL_INTEGRITY",
    ),
    v("extended", "one byte appended", cat(threeFile, Uint8Array.of(0)), "SEAL_INTEGRITY"),
    v(
      "header-from-other-file",
      "header of another file (same dataset and plaintext) over these chunks",
      cat(otherFile.subarray(0, h), chunk(0), chunk(1), chunk(2)),
      "SEAL_INTEGRITY",
    ),
    v(
      "chunk-from-other-file",
      "chunk 1 taken from another file of the same dataset",
      cat(head, chunk(0), otherFile.subarray(h + frame, h + 2 * frame), chunk(2)),
      "SEAL_INTEGRITY",
    ),
    v(
      "chunk-from-other-dataset",
      "chunk 1 taken from a file of dataset ds-other (same key)",
      cat(head, chunk(0), otherDataset.subarray(otherH + frame, otherH + 2 * frame), chunk(2)),
      "SEAL_INTEGRITY",
    ),
  ];
}

function write(name: string, value: unknown): void {
  writeFileSync(join(OUT_DIR, name), `${JSON.stringify(value, null, 2)}\n`);
}

const generator = "sealing/scripts/generate-file-format-vectors.ts";
write("v1.json", { format: "cce4long encrypted file format v1", generator, vectors: CASES.map(validVector) });
write("v1-invalid.json", {
  format: "cce4long encrypted file format v1",
  generator,
  vectors: invalidVectors(),
});
console.log(`wrote ${CASES.length} valid and ${invalidVectors().length} invalid vectors to ${OUT_DIR}`);
