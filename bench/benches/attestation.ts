/**
 * Benchmark: Intel TDX DCAP quote verification latency (runs on the developer's machine or in CI).
 * The real quote of test/vectors/tdx/ through the Privacy Plane's own verifier (cached collateral,
 * pinned time), beside one P-256 ECDSA verify by node:crypto, measured in the same run.
 */
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { CollateralCache } from "../../enclave-runtime/src/attestation/tdx/collateral-cache";
import { createTdxQuoteVerifier } from "../../enclave-runtime/src/attestation/tdx/tdx-quote-verifier";
import { loadTdxVector, TDX_VECTOR_FACTS } from "../../enclave-runtime/src/attestation/tdx/test-vectors";
import type { Benchmark, Measurement } from "../types";

const WARMUP = 10;
const QUOTE_ITERATIONS = 200;
const ECDSA_ITERATIONS = 2000;

async function sampleMs(iterations: number, once: () => unknown): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const benchmark: Benchmark = {
  name: "attestation",
  description: "DCAP TDX quote verification latency vs one P-256 ECDSA verify (node:crypto)",
  async run(): Promise<Measurement[]> {
    const { quote, collateral } = loadTdxVector();
    const verifier = createTdxQuoteVerifier({
      collateral: new CollateralCache({ collateral: [collateral] }),
    });
    const now = TDX_VECTOR_FACTS.validAt;
    const verifyQuote = async () => {
      const report = await verifier.verify(quote, { now });
      if (report.tcbStatus !== "UpToDate") throw new Error("the vector no longer verifies");
    };

    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const message = quote.subarray(0, 632); // the signed header + TD report, as a quote signature covers
    const signature = sign("sha256", message, privateKey);
    const verifyEcdsa = () => {
      if (!verify("sha256", message, publicKey, signature)) throw new Error("reference signature failed");
    };

    await sampleMs(WARMUP, verifyQuote);
    await sampleMs(WARMUP * 10, verifyEcdsa);
    const quoteMs = await sampleMs(QUOTE_ITERATIONS, verifyQuote);
    const ecdsaMs = await sampleMs(ECDSA_ITERATIONS, verifyEcdsa);

    const reference = (p: number) => ({
      name: `P-256 ECDSA verify p${p}`,
      value: percentile(ecdsaMs, p),
      unit: "ms",
    });
    const notes = `${QUOTE_ITERATIONS} quote verifications, ${ECDSA_ITERATIONS} ECDSA verifies; collateral cached`;
    return [
      {
        name: "attestation.dcap-verify.p50",
        value: percentile(quoteMs, 50),
        unit: "ms",
        reference: reference(50),
        goal: { on: "value", op: "<=", target: 50, text: "p50 under 50 ms" },
        notes,
      },
      {
        name: "attestation.dcap-verify.p99",
        value: percentile(quoteMs, 99),
        unit: "ms",
        reference: reference(99),
      },
    ];
  },
};

export default benchmark;
