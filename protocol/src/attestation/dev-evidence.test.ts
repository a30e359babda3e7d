import { describe, expect, it } from "vitest";
import {
  DEV_EVIDENCE_MAGIC,
  DEV_EVIDENCE_WARNING,
  type DevEvidence,
  decodeDevEvidence,
  decodeDevEvidenceHex,
  encodeDevEvidence,
  encodeDevEvidenceHex,
  isDevEvidence,
} from "./dev-evidence";

const evidence: DevEvidence = {
  warning: DEV_EVIDENCE_WARNING,
  report_data: "ab".repeat(64),
  mrtd: "01".repeat(48),
  rtmr0: "02".repeat(48),
  rtmr1: "03".repeat(48),
  rtmr2: "04".repeat(48),
  rtmr3: "05".repeat(48),
  app_id: "06".repeat(20),
  instance_id: "07".repeat(20),
  compose_hash: "08".repeat(32),
  issued_at: "2026-11-21T10:00:00.000Z",
};

describe("development evidence format v1", () => {
  it("round-trips through bytes and hex", () => {
    expect(decodeDevEvidence(encodeDevEvidence(evidence))).toEqual(evidence);
    expect(decodeDevEvidenceHex(encodeDevEvidenceHex(evidence))).toEqual(evidence);
    expect(decodeDevEvidenceHex(`0x${encodeDevEvidenceHex(evidence)}`)).toEqual(evidence);
  });

  it("starts with the magic, a zero byte and version 1", () => {
    const bytes = encodeDevEvidence(evidence);
    expect(new TextDecoder().decode(bytes.subarray(0, 27))).toBe(DEV_EVIDENCE_MAGIC);
    expect([bytes[27], bytes[28]]).toEqual([0, 1]);
    expect(isDevEvidence(bytes)).toBe(true);
  });

  it("is never taken for a TDX quote, nor a TDX quote for it", () => {
    const tdxLike = new Uint8Array(1024);
    tdxLike.set([4, 0, 2, 0, 0x81, 0, 0, 0]);
    expect(isDevEvidence(tdxLike)).toBe(false);
    expect(() => decodeDevEvidence(tdxLike)).toThrow("Not development evidence (magic missing)");
  });

  it("error: another version, a truncated body, extra or missing fields, a changed warning", () => {
    const bytes = encodeDevEvidence(evidence);
    const v2 = bytes.slice();
    v2[28] = 2;
    expect(() => decodeDevEvidence(v2)).toThrow("Unsupported development evidence version");
    expect(() => decodeDevEvidence(bytes.subarray(0, bytes.length - 1))).toThrow("not UTF-8 JSON");
    const reencode = (body: unknown) => {
      const json = new TextEncoder().encode(JSON.stringify(body));
      const out = new Uint8Array(29 + json.length);
      out.set(bytes.subarray(0, 29));
      out.set(json, 29);
      return out;
    };
    expect(() => decodeDevEvidence(reencode({ ...evidence, extra: 1 }))).toThrow("fields are malformed");
    const { rtmr3: _, ...missing } = evidence;
    expect(() => decodeDevEvidence(reencode(missing))).toThrow("fields are malformed");
    expect(() => decodeDevEvidence(reencode({ ...evidence, warning: "secure" }))).toThrow(
      "fields are malformed",
    );
    expect(() => decodeDevEvidence(reencode({ ...evidence, report_data: "AB".repeat(64) }))).toThrow(
      "fields are malformed",
    );
  });

  it("error: oversized input and bad hex are rejected as ATTESTATION_INVALID", () => {
    expect(() => decodeDevEvidence(new Uint8Array(5000))).toThrow(
      expect.objectContaining({ code: "ATTESTATION_INVALID" }),
    );
    expect(() => decodeDevEvidenceHex("abc")).toThrow("not valid hex");
    expect(() => encodeDevEvidence({ ...evidence, mrtd: "00" })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});
