/**
 * Key-release latency and throughput (runs on the developer's machine): the real POST /v1/key-release
 * route (credential, development evidence verification, report_data binding, policy checks, ECDHE wrap,
 * signed response) served by an in-process Hono app over HTTP on localhost, with an in-memory chain.
 * Reference, same server and run: a GET /healthz round trip. Goals: p50 < 20 ms, p99 < 100 ms.
 */

import type { AddressInfo } from "node:net";
import { measurementId } from "@cce4long/protocol/attestation/measurement-id";
import { generateEphemeralKeyPair } from "@cce4long/sealing/ecdhe-wrap";
import { serve } from "@hono/node-server";
import { keyReleaseFixture } from "../../enclave-runtime/src/key-release/in-process-fixture";
import { devEvidence, hex48, keyReleaseReportData } from "../../enclave-runtime/src/key-release/test-support";
import type { Benchmark, Measurement } from "../types";

const RELEASES = 300;
const HEALTH_CHECKS = 300;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const bench: Benchmark = {
  name: "key-release",
  description:
    "Key release (POST /v1/key-release) latency p50/p99 and releases/s vs a /healthz round trip on the same server",
  async run(): Promise<Measurement[]> {
    const fixture = keyReleaseFixture();
    const devMeasurement = measurementId({
      mrtd: Buffer.from(hex48("a"), "hex"),
      rtmr0: Buffer.from(hex48("b"), "hex"),
      rtmr1: Buffer.from(hex48("c"), "hex"),
      rtmr2: Buffer.from(hex48("d"), "hex"),
    });
    await fixture.logMeasurement(devMeasurement);
    fixture.chain.allowedMeasurements.add(devMeasurement);
    const server = serve({ fetch: fixture.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // Requests are prepared outside the timed section: the VM's own attestation is not the server's cost.
      const requests = [];
      for (let i = 0; i < RELEASES + 20; i++) {
        const job = await fixture.dispatchedJob();
        const ephemeral = generateEphemeralKeyPair();
        const nonce = Buffer.from(job.claims.nonce.slice(2), "hex");
        requests.push(
          JSON.stringify({
            credential: job.credential,
            evidence: Buffer.from(devEvidence(keyReleaseReportData(ephemeral.publicKey, nonce))).toString(
              "base64",
            ),
            ephemeralPublicKey: `0x${Buffer.from(ephemeral.publicKey).toString("hex")}`,
          }),
        );
      }
      const timeOne = async (body: string) => {
        const started = performance.now();
        const res = await fetch(`${base}/v1/key-release`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`key release answered ${res.status}`);
        return performance.now() - started;
      };
      for (const body of requests.slice(0, 20)) await timeOne(body); // warm-up
      const latencies: number[] = [];
      const t0 = performance.now();
      for (const body of requests.slice(20)) latencies.push(await timeOne(body));
      const seconds = (performance.now() - t0) / 1000;
      const health: number[] = [];
      for (let i = 0; i < HEALTH_CHECKS; i++) {
        const started = performance.now();
        await (await fetch(`${base}/healthz`)).arrayBuffer();
        health.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      health.sort((a, b) => a - b);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      const ref50 = {
        name: "GET /healthz round trip p50, same server",
        value: round(percentile(health, 50)),
        unit: "ms",
      };
      const ref99 = {
        name: "GET /healthz round trip p99, same server",
        value: round(percentile(health, 99)),
        unit: "ms",
      };
      const notes = `${RELEASES} sequential releases over localhost HTTP; in-memory chain (on anvil, recordJobKeyReleased adds one mined transaction)`;
      return [
        {
          name: "key-release.latency.p50",
          value: round(p50),
          unit: "ms",
          reference: ref50,
          goal: { on: "value", op: "<=", target: 20, text: "p50 under 20 ms" },
          notes,
        },
        {
          name: "key-release.latency.p99",
          value: round(p99),
          unit: "ms",
          reference: ref99,
          goal: { on: "value", op: "<=", target: 100, text: "p99 under 100 ms" },
        },
        {
          name: "key-release.throughput",
          value: round(RELEASES / seconds),
          unit: "releases/s",
          reference: {
            name: "GET /healthz round trips per second",
            value: round(1000 / (health.reduce((a, b) => a + b, 0) / health.length)),
            unit: "req/s",
          },
        },
      ];
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  },
};

const round = (value: number) => Math.round(value * 100) / 100;

export default bench;
