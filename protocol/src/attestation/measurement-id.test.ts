/**
 * Tests of the measurement id (runs in Node under vitest; the code itself runs anywhere).
 */
import { concat, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { measurementId } from "./measurement-id";

const hexBytes = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
// The registers of the real TDX quote in test/vectors/tdx/ (see its README).
const vector = {
  mrtd: hexBytes(
    "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
  ),
  rtmr0: hexBytes(
    "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0",
  ),
  rtmr1: hexBytes(
    "0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378",
  ),
  rtmr2: hexBytes(
    "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132",
  ),
};

describe("measurementId", () => {
  it("equals keccak256(mrtd || rtmr0 || rtmr1 || rtmr2) as computed independently by viem", () => {
    const expected = keccak256(concat([vector.mrtd, vector.rtmr0, vector.rtmr1, vector.rtmr2]));
    expect(measurementId(vector)).toBe(expected);
    expect(measurementId(vector)).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("changes when the registers are given in another order", () => {
    expect(measurementId({ ...vector, rtmr0: vector.rtmr1, rtmr1: vector.rtmr0 })).not.toBe(
      measurementId(vector),
    );
  });

  it("error: a register that is not 48 bytes, named in the message", () => {
    expect(() => measurementId({ ...vector, rtmr2: new Uint8Array(32) })).toThrow(/rtmr2 must be 48 bytes/);
    expect(() => measurementId({ ...vector, mrtd: new Uint8Array(49) })).toThrow(/mrtd must be 48 bytes/);
  });
});
