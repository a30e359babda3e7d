/**
 * The on-chain name of a TDX measurement (runs anywhere): the bytes32 the policy contract allows or
 * forbids, = keccak256(MRTD || RTMR0 || RTMR1 || RTMR2), each register exactly 48 bytes.
 * RTMR3 is left out on purpose: it is extended at run time (events), so it names no image.
 */
import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex } from "@noble/hashes/utils";
import { Cce4longError } from "../errors/index";

/** MRTD and every RTMR are SHA-384 registers. */
export const MEASUREMENT_REGISTER_BYTES = 48;

export interface MeasurementRegisters {
  mrtd: Uint8Array;
  rtmr0: Uint8Array;
  rtmr1: Uint8Array;
  rtmr2: Uint8Array;
}

/** Returns the measurement id as 0x-prefixed lowercase hex (a Solidity bytes32). */
export function measurementId(registers: MeasurementRegisters): `0x${string}` {
  const parts = [registers.mrtd, registers.rtmr0, registers.rtmr1, registers.rtmr2];
  const names = ["mrtd", "rtmr0", "rtmr1", "rtmr2"] as const;
  const input = new Uint8Array(MEASUREMENT_REGISTER_BYTES * parts.length);
  parts.forEach((part, i) => {
    if (!(part instanceof Uint8Array) || part.length !== MEASUREMENT_REGISTER_BYTES) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `${names[i]} must be ${MEASUREMENT_REGISTER_BYTES} bytes to form a measurement id`,
        { detail: { register: names[i], length: part?.length } },
      );
    }
    input.set(part, i * MEASUREMENT_REGISTER_BYTES);
  });
  return `0x${bytesToHex(keccak_256(input))}`;
}
