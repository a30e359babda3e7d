/**
 * ensureReportDataBound: report_data must be buildReportData(KEY_RELEASE, this key, this nonce) (runs in Node).
 */
import { randomBytes } from "node:crypto";
import { buildReportData, REPORT_DATA_PURPOSE } from "@cce4long/protocol/attestation/report-data";
import { describe, expect, it } from "vitest";
import { ensureReportDataBound } from "./ensure-report-data-bound";

const key = randomBytes(32);
const nonce = randomBytes(32);
const bound = buildReportData({ purpose: REPORT_DATA_PURPOSE.KEY_RELEASE, publicKey: key, nonce });

describe("ensureReportDataBound", () => {
  it("accepts a quote bound to this key and nonce", () => {
    expect(() =>
      ensureReportDataBound({
        report: { reportData: bound },
        ephemeralPublicKey: key,
        credentialNonce: nonce,
      }),
    ).not.toThrow();
  });

  it.each([
    ["another key", { ephemeralPublicKey: randomBytes(32), credentialNonce: nonce }],
    ["another credential's nonce", { ephemeralPublicKey: key, credentialNonce: randomBytes(32) }],
  ])("error: a quote bound to %s", (_name, request) => {
    expect(() => ensureReportDataBound({ report: { reportData: bound }, ...request })).toThrow(
      expect.objectContaining({
        code: "ATTESTATION_INVALID",
        detail: expect.objectContaining({ reason: "REPORT_DATA_MISMATCH" }),
      }),
    );
  });

  it("error: a quote made for another purpose (ingest key publication) with the same key and nonce", () => {
    const other = buildReportData({
      purpose: REPORT_DATA_PURPOSE.INGEST_KEY_PUBLICATION,
      publicKey: key,
      nonce,
    });
    expect(() =>
      ensureReportDataBound({
        report: { reportData: other },
        ephemeralPublicKey: key,
        credentialNonce: nonce,
      }),
    ).toThrow(expect.objectContaining({ code: "ATTESTATION_INVALID" }));
  });
});
