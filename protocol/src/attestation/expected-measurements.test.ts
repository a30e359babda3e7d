/**
 * Tests of the expected-measurements file schema (runs in Node under vitest; the code runs anywhere).
 * Register values are those of the real TDX quote in test/vectors/tdx/ (not a cce4long image: they only
 * need to be real 48-byte registers).
 */
import { concat, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { allowedMeasurementIds, parseExpectedMeasurements } from "./expected-measurements";

const registers = {
  mrtd: "0x91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
  rtmr0: "0x44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0",
  rtmr1: "0x0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378",
  rtmr2: "0xd833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132",
} as const;
const id = keccak256(concat([registers.mrtd, registers.rtmr0, registers.rtmr1, registers.rtmr2]));

const recorded = {
  schema: "cce4long/expected-measurements/v1",
  status: "recorded",
  image: {
    name: "cce4long-cvm-20261121-a334429",
    project: "cce4long-prod",
    imageId: "4805312906211234567",
    buildCommit: "a334429b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
    bootAgentBundleSha256: "00b5c43d88958dbbf45339c4d5e9a76289c7e25876fd08270b379e485e151fc5",
  },
  machineType: "c3-standard-4",
  ...registers,
  measurementId: id,
  sources: { mrtd: "google-endorsement", rtmr0: "reference-boot", rtmr1: "computed", rtmr2: "computed" },
  recordedAt: "2026-11-21T06:00:00Z",
};
const file = (...entries: unknown[]) => ({ schema: "cce4long/expected-measurements/v1", entries });

function failure(input: unknown): { code: string; message: string } {
  try {
    parseExpectedMeasurements(input);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected a failure");
}

describe("parseExpectedMeasurements", () => {
  it("accepts a recorded entry whose id is keccak256(mrtd || rtmr0 || rtmr1 || rtmr2)", () => {
    const parsed = parseExpectedMeasurements(file(recorded));
    expect(allowedMeasurementIds(parsed)).toEqual([id]);
  });

  it("accepts a pending file and allows nothing from it", () => {
    const parsed = parseExpectedMeasurements(
      file({ schema: recorded.schema, status: "pending", reason: "no build" }),
    );
    expect(allowedMeasurementIds(parsed)).toEqual([]);
  });

  it("error: a measurement id that does not match the registers", () => {
    const error = failure(file({ ...recorded, rtmr1: registers.rtmr2 }));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain("entries.0.measurementId does not match");
  });

  it("error: a register that is not 48 bytes, or not lowercase hex, named by path", () => {
    expect(failure(file({ ...recorded, rtmr0: registers.rtmr0.slice(0, -2) })).message).toContain(
      "entries.0.rtmr0",
    );
    expect(
      failure(file({ ...recorded, mrtd: registers.mrtd.toUpperCase().replace("0X", "0x") })).message,
    ).toContain("entries.0.mrtd");
  });

  it("error: an abbreviated build commit, an unknown source, an unknown field, a non-C3 machine type", () => {
    expect(
      failure(file({ ...recorded, image: { ...recorded.image, buildCommit: "a334429" } })).message,
    ).toContain("entries.0.image.buildCommit");
    expect(
      failure(file({ ...recorded, sources: { ...recorded.sources, rtmr0: "guessed" } })).message,
    ).toContain("entries.0.sources.rtmr0");
    expect(failure(file({ ...recorded, rtmr3: registers.rtmr0 })).message).toContain("entries.0");
    expect(failure(file({ ...recorded, machineType: "n2d-standard-4" })).message).toContain(
      "entries.0.machineType",
    );
  });

  it("error: the same machine type recorded twice, an empty file, a wrong schema tag", () => {
    expect(failure(file(recorded, recorded)).message).toContain("machine type is listed twice");
    expect(failure(file()).message).toContain("entries");
    expect(failure({ ...file(recorded), schema: "cce4long/expected-measurements/v0" }).message).toContain(
      "schema",
    );
  });
});
