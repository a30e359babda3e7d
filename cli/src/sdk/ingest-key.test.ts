/**
 * The Privacy Plane's GET /v1/ingest-key and the provider-side check of its attestation, end to end
 * with the development evidence format (and the refusals a production client makes).
 */
import { createQuoteVerifier } from "@cce4long/enclave-runtime/attestation/create-quote-verifier";
import { createDevQuoteVerifier } from "@cce4long/enclave-runtime/attestation/insecure/dev-quote-verifier";
import type { QuoteVerifier } from "@cce4long/enclave-runtime/attestation/quote-verifier";
import { CollateralCache } from "@cce4long/enclave-runtime/attestation/tdx/collateral-cache";
import { createPrivacyPlaneApp } from "@cce4long/enclave-runtime/http/app";
import { ingestKeyRoutes } from "@cce4long/enclave-runtime/http/ingest-key";
import { encodeDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { x25519PublicKey } from "@cce4long/sealing/keys/derive";
import { describe, expect, it } from "vitest";
import { verifyIngestKey } from "./ingest-key";

const PRIVATE = new Uint8Array(32).fill(5);
const NONCE = "ab".repeat(32);
const hex = (n: number, byte: string) => byte.repeat(n);

function app(quote?: (reportData: Uint8Array) => Promise<Uint8Array>) {
  return ingestKeyRoutes({
    deployment: "development",
    ingestKeyPair: async () => ({
      version: 1,
      privateKey: PRIVATE,
      publicKey: x25519PublicKey(PRIVATE),
      wipe: () => {},
    }),
    quote:
      quote ??
      (async (reportData) =>
        encodeDevEvidence({
          warning: "INSECURE DEVELOPMENT EVIDENCE: NOT A TDX QUOTE, ANYONE CAN FORGE IT",
          report_data: Buffer.from(reportData).toString("hex"),
          mrtd: hex(48, "01"),
          rtmr0: hex(48, "02"),
          rtmr1: hex(48, "03"),
          rtmr2: hex(48, "04"),
          rtmr3: hex(48, "05"),
          app_id: hex(20, "06"),
          instance_id: hex(20, "07"),
          compose_hash: hex(32, "08"),
          issued_at: new Date().toISOString(),
        })),
    now: () => new Date(),
  });
}

async function fetchKey(nonce = NONCE) {
  const res = await app().request(`/v1/ingest-key?nonce=${nonce}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const dev = createDevQuoteVerifier({ deployment: "development" });

describe("ingest key publication", () => {
  it("publishes the key with a quote the provider's client verifies, marked insecure in development", async () => {
    const body = await fetchKey();
    expect(body).toMatchObject({
      keyVersion: 1,
      nonce: NONCE,
      evidenceFormat: "insecure-dev",
      deployment: "development",
    });
    const verified = await verifyIngestKey(body, { verifier: dev, expectedNonce: NONCE });
    expect(Buffer.from(verified.publicKey).equals(Buffer.from(x25519PublicKey(PRIVATE)))).toBe(true);
    expect(verified.insecure).toBe(true);
  });

  it("draws its own nonce when none is given and refuses a malformed one", async () => {
    const res = await app().request("/v1/ingest-key");
    expect(((await res.json()) as { nonce: string }).nonce).toMatch(/^[0-9a-f]{64}$/);
    const plane = createPrivacyPlaneApp({
      deployment: "development",
      guestAgentReachable: async () => true,
      log: () => {},
      routes: [app()],
    });
    const bad = await plane.request("/v1/ingest-key?nonce=xyz");
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("refuses a swapped public key, another nonce, and a quote over other report_data", async () => {
    const body = await fetchKey();
    const swapped = {
      ...body,
      publicKey: Buffer.from(x25519PublicKey(new Uint8Array(32).fill(6))).toString("hex"),
    };
    await expect(verifyIngestKey(swapped, { verifier: dev, expectedNonce: NONCE })).rejects.toThrow(
      /does not commit/,
    );
    await expect(verifyIngestKey(body, { verifier: dev, expectedNonce: "cd".repeat(32) })).rejects.toThrow(
      /another nonce/,
    );
    const replayed = await fetchKey("cd".repeat(32));
    await expect(
      verifyIngestKey({ ...replayed, nonce: NONCE }, { verifier: dev, expectedNonce: NONCE }),
    ).rejects.toThrow(/does not commit/);
    await expect(
      verifyIngestKey({ ...body, publicKey: "zz" }, { verifier: dev, expectedNonce: NONCE }),
    ).rejects.toThrow(/malformed/);
  });

  it("refuses development evidence with a production verifier", async () => {
    const production = createQuoteVerifier({
      deployment: "production",
      tdx: { collateral: new CollateralCache() },
    });
    await expect(
      verifyIngestKey(await fetchKey(), { verifier: production, expectedNonce: NONCE }),
    ).rejects.toMatchObject({
      code: "ATTESTATION_INVALID",
    });
  });

  it("refuses a genuine TDX report whose measurement the client does not list", async () => {
    const body = await fetchKey();
    const fakeTdx: QuoteVerifier = {
      async verify(evidence, options) {
        const report = await dev.verify(evidence, options);
        return { ...report, teeType: "tdx" };
      },
    };
    await expect(verifyIngestKey(body, { verifier: fakeTdx, expectedNonce: NONCE })).rejects.toThrow(
      /does not trust/,
    );
    const report = await dev.verify(Buffer.from(body.evidence as string, "hex"), { now: new Date() });
    const ok = await verifyIngestKey(body, {
      verifier: fakeTdx,
      expectedNonce: NONCE,
      allowedMeasurementIds: [report.measurementId],
    });
    expect(ok.insecure).toBe(false);
  });
});
