/**
 * Tests of the report_data builder (runs in Node under vitest; the code itself runs anywhere).
 */
import { sha512 } from "@noble/hashes/sha2";
import { describe, expect, it } from "vitest";
import { Cce4longError } from "../errors/index";
import {
  buildReportData,
  REPORT_DATA_BYTES,
  REPORT_DATA_PURPOSE,
  type ReportDataPurpose,
  reportDataEquals,
} from "./report-data";

const key = new Uint8Array(32).fill(0x11);
const nonce = new Uint8Array(16).fill(0x22);
const base = { purpose: REPORT_DATA_PURPOSE.KEY_RELEASE, publicKey: key, nonce };
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("buildReportData", () => {
  it("returns exactly 64 bytes, deterministically", () => {
    const a = buildReportData(base);
    expect(a).toHaveLength(REPORT_DATA_BYTES);
    expect(hex(buildReportData(base))).toBe(hex(a));
  });

  it("is SHA-512 over u32-length-prefixed purpose, key, nonce in that order (the written layout)", () => {
    const tag = new TextEncoder().encode(REPORT_DATA_PURPOSE.KEY_RELEASE);
    const parts = [tag, key, nonce].flatMap((f) => [
      new Uint8Array([0, 0, f.length >> 8, f.length & 0xff]),
      f,
    ]);
    expect(hex(buildReportData(base))).toBe(hex(sha512(Buffer.concat(parts))));
  });

  it("differs when only the purpose differs", () => {
    const values = Object.values(REPORT_DATA_PURPOSE).map((purpose) =>
      hex(buildReportData({ ...base, purpose })),
    );
    expect(new Set(values).size).toBe(values.length);
  });

  it("differs when only one bit of the key or of the nonce differs", () => {
    const otherKey = key.slice();
    otherKey[31] = otherKey[31]! ^ 1;
    const otherNonce = nonce.slice();
    otherNonce[0] = otherNonce[0]! ^ 0x80;
    const original = hex(buildReportData(base));
    expect(hex(buildReportData({ ...base, publicKey: otherKey }))).not.toBe(original);
    expect(hex(buildReportData({ ...base, nonce: otherNonce }))).not.toBe(original);
  });

  it("cannot collide by moving bytes from the purpose tag into the key field", () => {
    // An unprefixed hash of tag||key||nonce would equal one of tag'||key'||nonce where tag' = tag
    // minus its last byte and key' = that byte || key[0..31]. With prefixes the inputs differ.
    const tag = new TextEncoder().encode(REPORT_DATA_PURPOSE.KEY_RELEASE);
    const unprefixed = (t: Uint8Array, k: Uint8Array, n: Uint8Array) => hex(sha512(Buffer.concat([t, k, n])));
    const shiftedKey = new Uint8Array([tag[tag.length - 1]!, ...key.subarray(0, 31)]);
    const shiftedNonce = new Uint8Array([key[31]!, ...nonce]);
    // The attack works without prefixes...
    expect(unprefixed(tag.subarray(0, -1), shiftedKey, shiftedNonce)).toBe(unprefixed(tag, key, nonce));
    // ...and the shifted tag is not even accepted as a purpose, so it cannot be reached at all.
    expect(() =>
      buildReportData({
        purpose: REPORT_DATA_PURPOSE.KEY_RELEASE.slice(0, -1) as ReportDataPurpose,
        publicKey: shiftedKey,
        nonce: shiftedNonce,
      }),
    ).toThrow(/purpose/);
  });

  it("error: an unknown purpose tag", () => {
    expect(() => buildReportData({ ...base, purpose: "something-else" as ReportDataPurpose })).toThrow(
      Cce4longError,
    );
  });

  it("error: a public key that is not 32 bytes", () => {
    for (const length of [0, 31, 33, 65]) {
      expect(() => buildReportData({ ...base, publicKey: new Uint8Array(length) })).toThrow(/32 bytes/);
    }
  });

  it("error: a nonce shorter than 16 or longer than 256 bytes", () => {
    for (const length of [0, 15, 257]) {
      expect(() => buildReportData({ ...base, nonce: new Uint8Array(length) })).toThrow(
        /nonce must be 16 to 256/,
      );
    }
    expect(buildReportData({ ...base, nonce: new Uint8Array(256) })).toHaveLength(64);
  });

  it("error: non-bytes inputs are refused with a typed error, not a crash", () => {
    const bad = { ...base, nonce: "0011" as unknown as Uint8Array };
    expect(() => buildReportData(bad)).toThrow(Cce4longError);
  });
});

describe("reportDataEquals", () => {
  it("is true only for two equal 64-byte values", () => {
    const a = buildReportData(base);
    const b = a.slice();
    expect(reportDataEquals(a, b)).toBe(true);
    b[63] = b[63]! ^ 1;
    expect(reportDataEquals(a, b)).toBe(false);
    expect(reportDataEquals(a.subarray(0, 32), a.subarray(0, 32))).toBe(false);
  });
});
