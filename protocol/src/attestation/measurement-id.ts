/**
 * The on-chain name of a TDX measurement, from the raw registers a verified quote carries (runs
 * anywhere). One definition of the hash exists: `measurementId` in ../chain/ids.ts, which mirrors
 * the contract; this adapter only takes bytes instead of hex. RTMR3 is left out on purpose: it is
 * extended at run time (events), so it names no image.
 */
import { bytesToHex } from "viem";
import { measurementId as measurementIdOfHex, TDX_REGISTER_BYTES } from "../chain/ids";
import { Cce4longError } from "../errors/index";

/** MRTD and every RTMR are SHA-384 registers. */
export const MEASUREMENT_REGISTER_BYTES = TDX_REGISTER_BYTES;

export interface MeasurementRegisters {
  mrtd: Uint8Array;
  rtmr0: Uint8Array;
  rtmr1: Uint8Array;
  rtmr2: Uint8Array;
}

/** Returns the measurement id as 0x-prefixed lowercase hex (a Solidity bytes32). */
export function measurementId(registers: MeasurementRegisters): `0x${string}` {
  const names = ["mrtd", "rtmr0", "rtmr1", "rtmr2"] as const;
  for (const name of names) {
    const part = registers[name];
    if (!(part instanceof Uint8Array) || part.length !== MEASUREMENT_REGISTER_BYTES) {
      throw new Cce4longError(
        "VALIDATION_FAILED",
        `${name} must be ${MEASUREMENT_REGISTER_BYTES} bytes to form a measurement id`,
        {
          detail: { register: name, length: part?.length },
        },
      );
    }
  }
  return measurementIdOfHex(
    bytesToHex(registers.mrtd),
    bytesToHex(registers.rtmr0),
    bytesToHex(registers.rtmr1),
    bytesToHex(registers.rtmr2),
  );
}
