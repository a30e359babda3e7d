/**
 * The released-output envelope (runs in tests): opens with the consumer's key for the same job and
 * path only; another key, job, path, an altered byte or an unknown version are refused.
 */
import { keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { consumerKeyPair, DATASET } from "../review/test-support";
import { isResultEnvelope, openResultFile, sealResultFile } from "./result-envelope";

const JOB = keccak256(stringToBytes("envelope-job"));
const CONTEXT = { jobId: JOB, datasetId: DATASET, path: "km/curve.csv" };
const PLAIN = new TextEncoder().encode("time,survival\n0,1.0\n5,0.93\n");

describe("result envelope", async () => {
  const consumer = consumerKeyPair();
  const sealed = await sealResultFile(consumer.publicKey, CONTEXT, PLAIN);

  it("round-trips for the consumer's key, job and path", async () => {
    expect(isResultEnvelope(sealed)).toBe(true);
    expect(await openResultFile(consumer.privateKey, CONTEXT, sealed)).toEqual(PLAIN);
  });

  it.each([
    ["another key", () => openResultFile(consumerKeyPair().privateKey, CONTEXT, sealed), "KEY_UNWRAP_FAILED"],
    [
      "another job",
      () => openResultFile(consumer.privateKey, { ...CONTEXT, jobId: keccak256(stringToBytes("x")) }, sealed),
      "KEY_UNWRAP_FAILED",
    ],
    [
      "another path",
      () => openResultFile(consumer.privateKey, { ...CONTEXT, path: "other.csv" }, sealed),
      "KEY_UNWRAP_FAILED",
    ],
    [
      "an altered byte",
      () => {
        const bad = sealed.slice();
        bad[bad.length - 3] = (bad[bad.length - 3] ?? 0) ^ 0x40;
        return openResultFile(consumer.privateKey, CONTEXT, bad);
      },
      "KEY_UNWRAP_FAILED",
    ],
    [
      "an unknown version",
      () => {
        const bad = sealed.slice();
        bad[4] = 2;
        return openResultFile(consumer.privateKey, CONTEXT, bad);
      },
      "SEAL_VERSION_UNSUPPORTED",
    ],
    ["a plaintext file", () => openResultFile(consumer.privateKey, CONTEXT, PLAIN), "SEAL_FORMAT_INVALID"],
  ])("refuses %s", async (_name, open, code) => {
    await expect(open()).rejects.toMatchObject({ code });
  });
});
