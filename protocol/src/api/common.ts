/**
 * Small wire-level building blocks shared by the edge API and its clients (runs anywhere).
 * Addresses and hex strings are checked by shape here; checksums are the chain code's business.
 */
import { z } from "zod";

/** A 20-byte EVM address as 0x-prefixed hex (any letter case). */
export const AddressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address")
  .meta({
    description: "EVM address, 0x-prefixed hex",
    examples: ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
  });

/** A 65-byte ECDSA signature (r, s, v) as 0x-prefixed hex, as wallets return from personal_sign. */
export const SignatureSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, "must be a 0x-prefixed 65-byte hex signature")
  .meta({ description: "ECDSA signature (r || s || v), 0x-prefixed hex" });

/** 32 bytes as 0x-prefixed hex, normalized to lower case. */
export const Bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x-prefixed 32-byte hex")
  .transform((value) => value.toLowerCase() as `0x${string}`);

/**
 * A dataset id: the hub's bytes32 `keccak256(abi.encode(provider, salt))`, as 0x-hex in lower case
 * (what `datasetIdOf` in @cce4long/protocol/chain computes).
 */
export const DatasetIdSchema = Bytes32Schema.meta({
  description: "On-chain dataset id (bytes32), 0x-prefixed hex",
  examples: [`0x${"ab".repeat(32)}`],
});

/** An instant as an RFC 3339 / ISO 8601 UTC string. */
export const TimestampSchema = z.iso.datetime().meta({ description: "RFC 3339 UTC timestamp" });

export const HealthResponseSchema = z.object({ ok: z.literal(true), service: z.literal("edge-api") });
export type HealthResponse = z.infer<typeof HealthResponseSchema>;
