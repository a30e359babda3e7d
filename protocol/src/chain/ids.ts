/**
 * Identifier derivations shared with the cce4long hub contract (runs anywhere).
 * Each function mirrors its Solidity twin exactly; contracts/test checks them against the chain.
 */
import { type Address, concat, encodeAbiParameters, type Hex, isHex, keccak256, size } from "viem";
import { Cce4longError } from "../errors/index";

/** Bytes of one TDX measurement register (MRTD or an RTMR): SHA-384. */
export const TDX_REGISTER_BYTES = 48;

/** Byte length of every bytes32 identifier (dataset, job, digest, commitment, key). */
export const BYTES32_LENGTH = 32;

function requireBytes(name: string, value: Hex, expected: number): void {
  if (!isHex(value, { strict: true }) || value.length % 2 !== 0 || size(value) !== expected) {
    const got = isHex(value, { strict: true }) && value.length % 2 === 0 ? `${size(value)} bytes` : "not hex";
    throw new Cce4longError("VALIDATION_FAILED", `${name} must be ${expected} bytes of 0x-hex, got ${got}`);
  }
}

/**
 * The on-chain id of a Computing Plane measurement:
 * `keccak256(abi.encodePacked(mrtd, rtmr0, rtmr1, rtmr2))`, each register exactly 48 bytes.
 */
export function measurementId(mrtd: Hex, rtmr0: Hex, rtmr1: Hex, rtmr2: Hex): Hex {
  const registers = { mrtd, rtmr0, rtmr1, rtmr2 };
  for (const [name, value] of Object.entries(registers)) requireBytes(name, value, TDX_REGISTER_BYTES);
  return keccak256(concat([mrtd, rtmr0, rtmr1, rtmr2]));
}

/** `keccak256(abi.encode(owner, salt))`: how the hub derives dataset and job ids. */
function ownedId(owner: Address, salt: Hex): Hex {
  requireBytes("salt", salt, BYTES32_LENGTH);
  return keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [owner, salt]));
}

/** The dataset id `registerDataset(salt, ...)` assigns when called by `provider`. */
export function datasetIdOf(provider: Address, salt: Hex): Hex {
  return ownedId(provider, salt);
}

/** The job id `requestJob(salt, ...)` assigns when called by `consumer`. */
export function jobIdOf(consumer: Address, salt: Hex): Hex {
  return ownedId(consumer, salt);
}
