/**
 * GET /v1/ingest-key (runs inside the TEE): the X25519 key providers encrypt uploads to, with a quote
 * whose report_data = buildReportData(INGEST_KEY_PUBLICATION, publicKey, nonce). The caller may send its
 * own `nonce` (32 bytes hex) so that it knows the quote is fresh; otherwise one is drawn here.
 */
import { randomBytes } from "node:crypto";
import { Cce4longError, type IngestKey } from "@cce4long/protocol";
import { isDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { buildReportData, REPORT_DATA_PURPOSE } from "@cce4long/protocol/attestation/report-data";
import type { X25519KeyPair } from "@cce4long/sealing/keys/types";
import { Hono } from "hono";

export interface IngestKeyDeps {
  deployment: "development" | "production";
  /** The current ingest key pair (only its public half leaves this route). */
  ingestKeyPair(): Promise<X25519KeyPair>;
  /** A quote over 64 bytes of report_data (dstack GetQuote; the development guest agent locally). */
  quote(reportData: Uint8Array): Promise<Uint8Array>;
  now(): Date;
}

export function ingestKeyRoutes(deps: IngestKeyDeps): Hono {
  return new Hono().get("/v1/ingest-key", async (c) => {
    const asked = c.req.query("nonce");
    if (asked !== undefined && !/^[0-9a-f]{64}$/.test(asked)) {
      throw new Cce4longError("VALIDATION_FAILED", "nonce must be 32 bytes as 64 lowercase hex characters");
    }
    const nonce = asked === undefined ? randomBytes(32) : Buffer.from(asked, "hex");
    const pair = await deps.ingestKeyPair();
    const publicKey = Uint8Array.from(pair.publicKey);
    const reportData = buildReportData({
      purpose: REPORT_DATA_PURPOSE.INGEST_KEY_PUBLICATION,
      publicKey,
      nonce,
    });
    let evidence: Uint8Array;
    try {
      evidence = await deps.quote(reportData);
    } catch (cause) {
      throw new Cce4longError("ATTESTER_FAILED", "the TEE did not produce a quote for the ingest key", {
        cause,
      });
    }
    const body: IngestKey = {
      publicKey: Buffer.from(publicKey).toString("hex"),
      keyVersion: pair.version,
      nonce: Buffer.from(nonce).toString("hex"),
      reportData: Buffer.from(reportData).toString("hex"),
      evidence: Buffer.from(evidence).toString("hex"),
      evidenceFormat: isDevEvidence(evidence) ? "insecure-dev" : "tdx",
      deployment: deps.deployment,
      issuedAt: deps.now().toISOString(),
    };
    c.header("cache-control", "no-store");
    return c.json(body);
  });
}
