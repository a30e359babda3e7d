/**
 * Header encode/parse (spec section 4 and section 7 steps 1 to 6): exact layout, exact length checks and
 * exact messages for each malformed field.
 */
import { describe, expect, it } from "vitest";
import { HEADER_MAX_LENGTH, MAGIC } from "./constants";
import { encodeHeaderWithoutMac, type HeaderFields, headerLength, parseHeader } from "./header";

const fields: HeaderFields = {
  datasetId: "ds-1",
  keyVersion: 2,
  chunkSize: 65536,
  plaintextLength: 1_000_000,
  fileId: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
};
const keyCheck = new Uint8Array(32).fill(0xcc);
const encoded = () => encodeHeaderWithoutMac(fields, keyCheck);
const reject = (bytes: Uint8Array) => {
  try {
    parseHeader(bytes);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error("parseHeader accepted the input");
};

describe("file format header", () => {
  it("lays out the fields at the offsets of spec section 4", () => {
    const bytes = encoded();
    expect(bytes.length).toBe(106 + 4);
    expect(Buffer.from(bytes.subarray(0, 8)).equals(MAGIC)).toBe(true);
    expect(Buffer.from(bytes.subarray(0, 30)).toString("hex")).toBe(
      `89434345344c4546` +
        `01` +
        `04` +
        Buffer.from("ds-1").toString("hex") +
        `00000002` +
        `00010000` +
        `00000000000f4240`,
    );
    expect(Buffer.from(bytes.subarray(30, 46)).equals(fields.fileId)).toBe(true);
    expect(Buffer.from(bytes.subarray(46, 78)).equals(keyCheck)).toBe(true);
    expect(bytes.subarray(78).every((b) => b === 0)).toBe(true);
  });

  it("parses what it encodes, ignoring bytes after the header", () => {
    const withTail = Buffer.concat([encoded(), Buffer.from("chunk data")]);
    const { header, bytes } = parseHeader(withTail);
    expect(header).toMatchObject({ version: 1, ...fields, fileId: fields.fileId, keyCheck });
    expect(bytes.length).toBe(headerLength("ds-1"));
  });

  it("accepts the longest dataset id and keeps within HEADER_MAX_LENGTH", () => {
    const bytes = encodeHeaderWithoutMac({ ...fields, datasetId: "a".repeat(128) }, keyCheck);
    expect(bytes.length).toBe(HEADER_MAX_LENGTH);
    expect(parseHeader(bytes).header.datasetId).toBe("a".repeat(128));
  });

  it("error: fewer than 10 bytes", () => {
    expect(reject(encoded().subarray(0, 9))).toEqual({
      code: "SEAL_FORMAT_INVALID",
      message: "encrypted file: header: expected at least 10 bytes, got 9",
    });
  });

  it("error: wrong magic", () => {
    const bytes = encoded();
    bytes[3] = 0;
    expect(reject(bytes).message).toBe(
      "encrypted file: not a cce4long encrypted file (magic bytes do not match)",
    );
  });

  it("error: another version (checked before any other field)", () => {
    const bytes = encoded().subarray(0, 10);
    bytes[8] = 9;
    expect(reject(bytes)).toEqual({
      code: "SEAL_VERSION_UNSUPPORTED",
      message: "encrypted file: format version 9 is not supported (this reader knows version 1)",
    });
  });

  it("error: dataset id length 0 or over 128", () => {
    for (const n of [0, 129, 255]) {
      const bytes = encoded();
      bytes[9] = n;
      expect(reject(bytes).message).toBe(
        `encrypted file: header: dataset id length must be 1 to 128, got ${n}`,
      );
    }
  });

  it("error: header shorter than its declared length", () => {
    expect(reject(encoded().subarray(0, 109))).toEqual({
      code: "SEAL_FORMAT_INVALID",
      message: "encrypted file: header: expected 110 bytes, got 109",
    });
  });

  it("error: dataset id with a character outside the allowed set", () => {
    const bytes = encoded();
    bytes[11] = "/".charCodeAt(0);
    expect(reject(bytes).message).toBe(
      "encrypted file: dataset id must be 1 to 128 characters of A-Z a-z 0-9 . _ : -",
    );
  });

  it("error: key version 0, chunk size out of range, length beyond 2^53-1", () => {
    const at = 10 + 4;
    const withKeyVersion0 = encoded();
    withKeyVersion0.fill(0, at, at + 4);
    expect(reject(withKeyVersion0).message).toBe(
      "encrypted file: key version must be an integer from 1 to 4294967295, got 0",
    );
    const smallChunk = encoded();
    new DataView(smallChunk.buffer).setUint32(at + 4, 63);
    expect(reject(smallChunk).message).toBe(
      "encrypted file: chunk size must be an integer from 64 to 16777216, got 63",
    );
    const bigChunk = encoded();
    new DataView(bigChunk.buffer).setUint32(at + 4, 16777217);
    expect(reject(bigChunk).code).toBe("SEAL_FORMAT_INVALID");
    const huge = encoded();
    new DataView(huge.buffer).setBigUint64(at + 8, 2n ** 53n);
    expect(reject(huge).message).toBe(
      "encrypted file: plaintext length must be an integer from 0 to 9007199254740991, got 9007199254740992",
    );
  });

  it("error: a writer cannot encode what a reader would refuse", () => {
    expect(() => encodeHeaderWithoutMac({ ...fields, datasetId: "" }, keyCheck)).toThrow(/dataset id/);
    expect(() => encodeHeaderWithoutMac({ ...fields, datasetId: "é" }, keyCheck)).toThrow(/dataset id/);
    expect(() => encodeHeaderWithoutMac({ ...fields, chunkSize: 1.5 }, keyCheck)).toThrow(/chunk size/);
    expect(() => encodeHeaderWithoutMac({ ...fields, plaintextLength: -1 }, keyCheck)).toThrow(
      /plaintext length/,
    );
    expect(() => encodeHeaderWithoutMac({ ...fields, fileId: new Uint8Array(15) }, keyCheck)).toThrow(
      "encrypted file: file id must be 16 bytes, got 15",
    );
  });
});
