/**
 * Tests of the INSECURE development verifier and of the deployment-aware factory (runs in Node).
 */
import { Cce4longError } from "@cce4long/protocol";
import { DEV_EVIDENCE_WARNING, encodeDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { describe, expect, it } from "vitest";
import { attestationFailureOf } from "../attestation-error";
import { createQuoteVerifier } from "../create-quote-verifier";
import { CollateralCache } from "../tdx/collateral-cache";
import { loadTdxVector, TDX_VECTOR_FACTS } from "../tdx/test-vectors";
import { createDevQuoteVerifier } from "./dev-quote-verifier";

const now = new Date("2026-11-21T10:00:00.000Z");
const devEvidence = (issuedAt = now, reportData = "ab".repeat(64)) =>
  encodeDevEvidence({
    warning: DEV_EVIDENCE_WARNING,
    report_data: reportData,
    mrtd: "01".repeat(48),
    rtmr0: "02".repeat(48),
    rtmr1: "03".repeat(48),
    rtmr2: "04".repeat(48),
    rtmr3: "05".repeat(48),
    app_id: "06".repeat(20),
    instance_id: "07".repeat(20),
    compose_hash: "08".repeat(32),
    issued_at: issuedAt.toISOString(),
  });

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Cce4longError);
  expect((error as Cce4longError).message).toBe("Attestation rejected");
  return attestationFailureOf(error);
}

describe("createDevQuoteVerifier", () => {
  it("refuses to exist in a production deployment, or an unset or misspelt one", () => {
    for (const deployment of ["production", undefined, "", "Development", "dev"]) {
      expect(() => createDevQuoteVerifier({ deployment })).toThrow(
        expect.objectContaining({ code: "INSECURE_DEV_REFUSED" }),
      );
    }
  });

  it("verifies fresh development evidence into a report marked insecure-dev", async () => {
    const report = await createDevQuoteVerifier({ deployment: "development" }).verify(devEvidence(), { now });
    expect(report.teeType).toBe("insecure-dev");
    expect(Buffer.from(report.reportData).toString("hex")).toBe("ab".repeat(64));
    expect(Buffer.from(report.mrtd).toString("hex")).toBe("01".repeat(48));
    expect(report.measurementId).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("refuses stale evidence and evidence from the future", async () => {
    const verifier = createDevQuoteVerifier({ deployment: "development", maxAgeMs: 60_000 });
    const stale = devEvidence(new Date(now.getTime() - 61_000));
    const future = devEvidence(new Date(now.getTime() + 120_000));
    expect(await failure(verifier.verify(stale, { now }))).toBe("DEV_EVIDENCE_INVALID");
    expect(await failure(verifier.verify(future, { now }))).toBe("DEV_EVIDENCE_INVALID");
  });

  it("refuses a real TDX quote and garbage: it only understands the development format", async () => {
    const verifier = createDevQuoteVerifier({ deployment: "development" });
    expect(await failure(verifier.verify(loadTdxVector().quote, { now }))).toBe("DEV_EVIDENCE_INVALID");
    expect(await failure(verifier.verify(new Uint8Array([1, 2, 3]), { now }))).toBe("DEV_EVIDENCE_INVALID");
  });
});

describe("createQuoteVerifier", () => {
  const tdx = () => ({ collateral: new CollateralCache({ collateral: [loadTdxVector().collateral] }) });

  it("production: development evidence is refused by the TDX verifier", async () => {
    const verifier = createQuoteVerifier({ deployment: "production", tdx: tdx() });
    expect(await failure(verifier.verify(devEvidence(), { now }))).toBe("QUOTE_UNSUPPORTED");
  });

  it("production: a real TDX quote verifies", async () => {
    const verifier = createQuoteVerifier({ deployment: "production", tdx: tdx() });
    const report = await verifier.verify(loadTdxVector().quote, { now: TDX_VECTOR_FACTS.validAt });
    expect(report.teeType).toBe("tdx");
  });

  it("development: accepts development evidence and still verifies real quotes the real way", async () => {
    const verifier = createQuoteVerifier({ deployment: "development", tdx: tdx() });
    expect((await verifier.verify(devEvidence(), { now })).teeType).toBe("insecure-dev");
    expect((await verifier.verify(loadTdxVector().quote, { now: TDX_VECTOR_FACTS.validAt })).teeType).toBe(
      "tdx",
    );
    expect(await failure(verifier.verify(loadTdxVector().quote, { now }))).toBe("COLLATERAL_EXPIRED");
  });
});
