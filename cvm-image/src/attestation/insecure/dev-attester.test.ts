/**
 * Tests of the INSECURE development attester: refused outside development; over a real unix socket
 * it speaks the dstack guest API through @phala/dstack-sdk to a stand-in agent (runs in Node).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEV_EVIDENCE_WARNING, encodeDevEvidenceHex } from "@cce4long/protocol/attestation/dev-evidence";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevAttester } from "./dev-attester";

const reportData = new Uint8Array(64).fill(7);
const evidenceHex = (reportDataHex: string) =>
  encodeDevEvidenceHex({
    warning: DEV_EVIDENCE_WARNING,
    report_data: reportDataHex,
    mrtd: "01".repeat(48),
    rtmr0: "02".repeat(48),
    rtmr1: "03".repeat(48),
    rtmr2: "04".repeat(48),
    rtmr3: "05".repeat(48),
    app_id: "06".repeat(20),
    instance_id: "07".repeat(20),
    compose_hash: "08".repeat(32),
    issued_at: new Date().toISOString(),
  });

let dir = "";
let socket = "";
let server: Server;
const requests: unknown[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cce4long-devagent-"));
  socket = join(dir, "dstack.sock");
  // A stand-in for the development guest agent's GetQuote (the real one lives in enclave-runtime/src/insecure).
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const parsed = JSON.parse(body) as { report_data: string };
      requests.push({ path: req.url, ...parsed });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ quote: evidenceHex(parsed.report_data), event_log: "[]" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe("development attester", () => {
  it("refuses to exist unless the deployment is exactly development", () => {
    for (const deployment of ["production", undefined, "", "DEVELOPMENT"]) {
      expect(() => createDevAttester({ deployment, endpoint: socket })).toThrow(
        expect.objectContaining({ code: "INSECURE_DEV_REFUSED" }),
      );
    }
  });

  it("asks the guest agent's GetQuote over its unix socket and returns development evidence", async () => {
    const attester = createDevAttester({ deployment: "development", endpoint: socket });
    const evidence = await attester.attest(reportData);
    expect(evidence.kind).toBe("insecure-dev");
    expect(new TextDecoder().decode(evidence.bytes.subarray(0, 27))).toBe("CCE4LONG-INSECURE-DEV-QUOTE");
    expect(requests.at(-1)).toEqual({ path: "/GetQuote", report_data: "07".repeat(64) });
  });

  it("error: an agent that binds other report_data", async () => {
    const attester = createDevAttester({
      deployment: "development",
      client: { getQuote: async () => ({ quote: evidenceHex("00".repeat(64)) }) },
    });
    await expect(attester.attest(reportData)).rejects.toMatchObject({ code: "ATTESTER_FAILED" });
  });

  it("error: an agent answering something that is not development evidence", async () => {
    const attester = createDevAttester({
      deployment: "development",
      client: { getQuote: async () => ({ quote: "0400" }) },
    });
    await expect(attester.attest(reportData)).rejects.toMatchObject({ code: "ATTESTER_FAILED" });
  });

  it("error: no agent at the endpoint -> ATTESTER_FAILED", async () => {
    const attester = createDevAttester({ deployment: "development", endpoint: join(dir, "missing.sock") });
    await expect(attester.attest(reportData)).rejects.toMatchObject({ code: "ATTESTER_FAILED" });
  });

  it("error: report_data that is not 64 bytes", async () => {
    const attester = createDevAttester({ deployment: "development", endpoint: socket });
    await expect(attester.attest(new Uint8Array(63))).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
