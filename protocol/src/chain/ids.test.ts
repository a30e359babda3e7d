/**
 * Identifier derivations (runs anywhere): checked against an independent keccak (@noble/hashes) and
 * for exact byte-length validation. contracts/test checks datasetIdOf/jobIdOf against the contract.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { datasetIdOf, jobIdOf, measurementId } from "./ids";

const register = (byte: number) => bytesToHex(new Uint8Array(48).fill(byte));

describe("measurementId", () => {
  it("is keccak256 of MRTD || RTMR0 || RTMR1 || RTMR2, in that order", () => {
    const parts = [register(1), register(2), register(3), register(4)] as const;
    const packed = new Uint8Array(192);
    for (const [index, part] of parts.entries()) packed.set(hexToBytes(part), index * 48);
    expect(measurementId(...parts)).toBe(bytesToHex(keccak_256(packed)));
    expect(measurementId(parts[1], parts[0], parts[2], parts[3])).not.toBe(measurementId(...parts));
  });

  it("error: a register of 47 or 49 bytes names the register and its length", () => {
    const short = bytesToHex(new Uint8Array(47));
    const long = bytesToHex(new Uint8Array(49));
    expect(() => measurementId(register(1), short, register(3), register(4))).toThrow(
      "rtmr0 must be 48 bytes of 0x-hex, got 47 bytes",
    );
    expect(() => measurementId(register(1), register(2), register(3), long)).toThrow(
      "rtmr2 must be 48 bytes",
    );
  });

  it("error: non-hex and odd-length input is refused with VALIDATION_FAILED", () => {
    expect(() => measurementId("0xzz" as never, register(2), register(3), register(4))).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
    expect(() => measurementId(`${register(1)}0` as never, register(2), register(3), register(4))).toThrow(
      "mrtd must be 48 bytes of 0x-hex, got not hex",
    );
  });
});

describe("datasetIdOf and jobIdOf", () => {
  const owner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  const salt = bytesToHex(new Uint8Array(32).fill(7));

  it("are keccak256(abi.encode(address, bytes32))", () => {
    const encoded = new Uint8Array(64);
    encoded.set(hexToBytes(owner), 12);
    encoded.set(hexToBytes(salt), 32);
    expect(datasetIdOf(owner, salt)).toBe(bytesToHex(keccak_256(encoded)));
    expect(jobIdOf(owner, salt)).toBe(datasetIdOf(owner, salt));
  });

  it("error: a salt that is not 32 bytes", () => {
    expect(() => datasetIdOf(owner, "0x01")).toThrow("salt must be 32 bytes of 0x-hex, got 1 bytes");
  });
});
