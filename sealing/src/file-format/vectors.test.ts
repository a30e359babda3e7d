/**
 * Test vectors (test/vectors/encrypted-file-format/): the implementation reproduces every valid vector
 * byte for byte, decrypts it, matches the spec's intermediate values, and rejects each invalid vector
 * with its documented error through every reader.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { beginWriteWithFileId } from "./begin-write";
import { decryptBuffer, sealWith } from "./buffer";
import { parseHeader } from "./header";
import { deriveFileKeys, deriveKeyCheck } from "./keys";
import { decryptRange } from "./random-access";
import { bufferReader } from "./reader";
import { outcomes } from "./testing";

const DIR = new URL("../../../test/vectors/encrypted-file-format/", import.meta.url);
const load = (name: string) => JSON.parse(readFileSync(new URL(name, DIR), "utf8"));
/** The shape of `v1.json` entries (see the vectors' README). */
interface ValidVector {
  name: string;
  key_hex: string;
  dataset_id: string;
  key_version: number;
  chunk_size: number;
  file_id_hex: string;
  plaintext_length: number;
  intermediate: Record<
    "key_check_hex" | "chunk_key_hex" | "header_mac_key_hex" | "header_hex" | "header_hash_hex",
    string
  >;
  file_length: number;
  plaintext_hex?: string;
  file_hex?: string;
  file_sha256_hex?: string;
}
interface InvalidVector {
  name: string;
  key_hex: string;
  file_hex: string;
  expected_error: string;
}
const valid = load("v1.json").vectors as ValidVector[];
const invalid = load("v1-invalid.json").vectors as InvalidVector[];
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const plaintextOf = (v: ValidVector) =>
  v.plaintext_hex !== undefined
    ? bytes(v.plaintext_hex)
    : Uint8Array.from({ length: v.plaintext_length }, (_, i) => i % 251);

describe("encrypted file format v1 test vectors", () => {
  it("has the sizes the spec promises (0, 1, chunk-1, chunk, chunk+1, 3 chunks, 64 KiB default)", () => {
    expect(valid.map((v) => v.plaintext_length)).toEqual([0, 1, 63, 64, 65, 192, 200, 196625]);
    expect(invalid.length).toBeGreaterThanOrEqual(15);
  });

  for (const v of valid) {
    it(`reproduces and decrypts ${v.name}`, async () => {
      const key = bytes(v.key_hex);
      const plaintext = plaintextOf(v);
      const options = { key, datasetId: v.dataset_id, keyVersion: v.key_version, chunkSize: v.chunk_size };
      const file = sealWith(beginWriteWithFileId(options, plaintext.length, bytes(v.file_id_hex)), plaintext);
      expect(file.length).toBe(v.file_length);
      if (v.file_hex !== undefined) expect(Buffer.from(file).toString("hex")).toBe(v.file_hex);
      else expect(sha256(file)).toBe(v.file_sha256_hex);

      const fileKeys = deriveFileKeys(key, bytes(v.file_id_hex), v.dataset_id, v.key_version);
      expect(Buffer.from(fileKeys.chunkKey).toString("hex")).toBe(v.intermediate.chunk_key_hex);
      expect(Buffer.from(fileKeys.macKey).toString("hex")).toBe(v.intermediate.header_mac_key_hex);
      expect(deriveKeyCheck(key, v.dataset_id, v.key_version).toString("hex")).toBe(
        v.intermediate.key_check_hex,
      );
      const header = parseHeader(file).bytes;
      expect(Buffer.from(header).toString("hex")).toBe(v.intermediate.header_hex);
      expect(sha256(header)).toBe(v.intermediate.header_hash_hex);

      const stored = v.file_hex !== undefined ? bytes(v.file_hex) : file;
      expect(Buffer.from(decryptBuffer(stored, key).plaintext).equals(plaintext)).toBe(true);
      const middle = Math.floor(plaintext.length / 2);
      const range = await decryptRange(bufferReader(stored), key, middle, plaintext.length);
      expect(Buffer.from(range).equals(plaintext.subarray(middle))).toBe(true);
    });
  }

  for (const v of invalid) {
    it(`rejects ${v.name} with ${v.expected_error} in every reader`, async () => {
      const expected = [v.expected_error, v.expected_error, v.expected_error];
      expect(await outcomes(bytes(v.file_hex), bytes(v.key_hex))).toEqual(expected);
    });
  }
});
