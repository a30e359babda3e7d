/**
 * Tests of the TDX DCAP verifier against a real Intel quote and its collateral (runs in Node).
 */
import { Cce4longError } from "@cce4long/protocol";
import { describe, expect, it } from "vitest";
import { ATTESTATION_REJECTED_MESSAGE, attestationFailureOf } from "../attestation-error";
import { CollateralCache } from "./collateral-cache";
import { createTdxQuoteVerifier } from "./tdx-quote-verifier";
import { TDX_VECTOR_FACTS as FACTS, loadTdxVector } from "./test-vectors";

const { quote, collateral } = loadTdxVector();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const verifier = () =>
  createTdxQuoteVerifier({ collateral: new CollateralCache({ collateral: [collateral] }) });

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Cce4longError);
  const typed = error as Cce4longError;
  expect(typed.code).toBe("ATTESTATION_INVALID");
  // The caller-visible message never says why: that is for the log (detail.reason).
  expect(typed.message).toBe(ATTESTATION_REJECTED_MESSAGE);
  return attestationFailureOf(typed);
}

describe("TDX quote verifier on the real vector", () => {
  it("verifies at 2025-06-19T11:16:03Z as UpToDate with the exact registers and report_data", async () => {
    const report = await verifier().verify(quote, { now: FACTS.validAt });
    expect(report.teeType).toBe("tdx");
    expect(report.tcbStatus).toBe("UpToDate");
    expect(report.advisoryIds).toEqual([]);
    expect(hex(report.mrtd)).toBe(FACTS.mrtd);
    expect(hex(report.rtmr0)).toBe(FACTS.rtmr0);
    expect(hex(report.rtmr1)).toBe(FACTS.rtmr1);
    expect(hex(report.rtmr2)).toBe(FACTS.rtmr2);
    expect(hex(report.rtmr3)).toBe(FACTS.rtmr3);
    expect(hex(report.reportData)).toBe(FACTS.reportData);
    expect(report.measurementId).toBe(FACTS.measurementId);
    expect(report.verifiedAt.toISOString()).toBe("2025-06-19T11:16:03.000Z");
  });

  it("still verifies at the very instant of the TCB info's nextUpdate", async () => {
    await expect(verifier().verify(quote, { now: FACTS.expiresAfter })).resolves.toMatchObject({
      tcbStatus: "UpToDate",
    });
  });

  it("refuses one second after 2025-07-19T10:16:03Z: collateral expired", async () => {
    const now = new Date(FACTS.expiresAfter.getTime() + 1000);
    expect(await reasonOf(verifier().verify(quote, { now }))).toBe("COLLATERAL_EXPIRED");
  });

  it("refuses at the real current time: 'now' is only ever the caller's", async () => {
    expect(await reasonOf(verifier().verify(quote, { now: new Date() }))).toBe("COLLATERAL_EXPIRED");
  });

  it("refuses before the TCB info was issued: collateral not yet valid", async () => {
    const now = new Date(FACTS.tcbInfoIssueDate.getTime() - 1000);
    expect(await reasonOf(verifier().verify(quote, { now }))).toBe("COLLATERAL_NOT_YET_VALID");
  });

  it("refuses the quote with byte 600 flipped: signature invalid", async () => {
    const tampered = quote.slice();
    tampered[600] = tampered[600]! ^ 0xff;
    expect(await reasonOf(verifier().verify(tampered, { now: FACTS.validAt }))).toBe(
      "QUOTE_SIGNATURE_INVALID",
    );
  });

  it("refuses a tampered report_data byte (offset 568, inside the signed TD report)", async () => {
    const tampered = quote.slice();
    tampered[48 + 520] = tampered[48 + 520]! ^ 1;
    expect(await reasonOf(verifier().verify(tampered, { now: FACTS.validAt }))).toBe(
      "QUOTE_SIGNATURE_INVALID",
    );
  });

  it("refuses truncated quotes, garbage and empty input as malformed", async () => {
    const v = verifier();
    for (const bad of [
      quote.subarray(0, 100),
      quote.subarray(0, 1000),
      quote.subarray(0, 4935), // one byte short of the declared auth data
      new TextEncoder().encode("this is not a quote at all, just some text bytes"),
      new Uint8Array(0),
      new Uint8Array(70_000),
    ]) {
      expect(await reasonOf(v.verify(bad, { now: FACTS.validAt }))).toBe("QUOTE_MALFORMED");
    }
  });

  it("accepts the zero padding real quotes carry after their structure, and nothing else there", async () => {
    // The vector's declared structure ends at byte 4936; 70 zero bytes follow.
    await expect(verifier().verify(quote.subarray(0, 4936), { now: FACTS.validAt })).resolves.toBeDefined();
    const padded = new Uint8Array(quote.length + 10);
    padded.set(quote);
    await expect(verifier().verify(padded, { now: FACTS.validAt })).resolves.toBeDefined();
    const trailing = quote.slice();
    trailing[quote.length - 1] = 1;
    expect(await reasonOf(verifier().verify(trailing, { now: FACTS.validAt }))).toBe("QUOTE_MALFORMED");
  });

  it("refuses a quote whose header claims another TEE type", async () => {
    const sgxHeader = quote.slice();
    sgxHeader[4] = 0x00; // tee_type 0x81 (TDX) -> 0x00 (SGX)
    // An SGX report is shorter, so the rest no longer parses.
    expect(await reasonOf(verifier().verify(sgxHeader, { now: FACTS.validAt }))).toBe("QUOTE_MALFORMED");
  });

  it("refuses a quote that names an attestation key type other than ECDSA P-256", async () => {
    const otherKeyType = quote.slice();
    otherKeyType[2] = 3;
    expect(await reasonOf(verifier().verify(otherKeyType, { now: FACTS.validAt }))).toBe("QUOTE_UNSUPPORTED");
  });

  it("refuses when the collateral's TCB info was altered: its signature no longer verifies", async () => {
    const altered = {
      ...collateral,
      tcb_info: collateral.tcb_info!.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18'),
    };
    expect(altered.tcb_info).not.toBe(collateral.tcb_info);
    const v = createTdxQuoteVerifier({ collateral: new CollateralCache({ collateral: [altered] }) });
    expect(await reasonOf(v.verify(quote, { now: FACTS.validAt }))).toBe("COLLATERAL_INVALID");
  });

  it("refuses when no collateral is known for the quote's platform", async () => {
    const v = createTdxQuoteVerifier({ collateral: new CollateralCache() });
    expect(await reasonOf(v.verify(quote, { now: FACTS.validAt }))).toBe("COLLATERAL_UNAVAILABLE");
  });

  it("refuses an UpToDate quote when the policy (wrongly) accepts nothing but OutOfDate", async () => {
    const v = createTdxQuoteVerifier({
      collateral: new CollateralCache({ collateral: [collateral] }),
      tcbPolicy: { acceptedStatuses: ["OutOfDate"] },
    });
    expect(await reasonOf(v.verify(quote, { now: FACTS.validAt }))).toBe("TCB_STATUS_REFUSED");
  });

  it("error: an invalid 'now' is a validation error, not an attestation verdict", async () => {
    await expect(verifier().verify(quote, { now: new Date("not a date") })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });

  it("returns copies: changing the evidence buffer afterwards does not change the report", async () => {
    const evidence = quote.slice();
    const report = await verifier().verify(evidence, { now: FACTS.validAt });
    evidence.fill(0);
    expect(hex(report.mrtd)).toBe(FACTS.mrtd);
    expect(hex(report.reportData)).toBe(FACTS.reportData);
  });
});
