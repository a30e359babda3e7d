/**
 * Sign-in with Ethereum (EIP-4361) and the edge API's access tokens: request and response shapes
 * shared by the API and its clients (runs anywhere).
 */
import { z } from "zod";
import { AddressSchema, DatasetIdSchema, SignatureSchema, TimestampSchema } from "./common";

/**
 * Who a token may act as. Provider and reviewer roles are per dataset: a token for dataset 1 gives
 * nothing on dataset 2. The consumer role is global (rentals are checked per request on-chain).
 */
export const RoleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("consumer") }),
  z.object({ kind: z.literal("provider"), datasetId: DatasetIdSchema }),
  z.object({ kind: z.literal("reviewer"), datasetId: DatasetIdSchema }),
]);
export type Role = z.infer<typeof RoleSchema>;
export type RoleKind = Role["kind"];

/**
 * Which service a token is meant for. The edge API accepts only `cce4long-api`; a token minted for
 * another audience is refused there, so a leaked token cannot be replayed across services.
 */
export const AUDIENCES = ["cce4long-api", "cce4long-privacy-plane"] as const;
export const AudienceSchema = z.enum(AUDIENCES);
export type Audience = z.infer<typeof AudienceSchema>;
export const EDGE_API_AUDIENCE: Audience = "cce4long-api";

export const NonceResponseSchema = z.object({
  nonce: z.string().meta({ description: "Put this in the SIWE message's Nonce field; valid once" }),
  expiresAt: TimestampSchema,
});
export type NonceResponse = z.infer<typeof NonceResponseSchema>;

export const VerifyRequestSchema = z.object({
  message: z
    .string()
    .min(1)
    .max(4096)
    .meta({ description: "The EIP-4361 message exactly as signed (personal_sign)" }),
  signature: SignatureSchema,
  role: RoleSchema.default({ kind: "consumer" }),
  audience: AudienceSchema.default("cce4long-api"),
});
export type VerifyRequest = z.input<typeof VerifyRequestSchema>;

export const TokenResponseSchema = z.object({
  token: z.string().meta({ description: "Send as `Authorization: Bearer <token>`" }),
  tokenType: z.literal("Bearer"),
  expiresAt: TimestampSchema,
  address: AddressSchema,
  role: RoleSchema,
  audience: AudienceSchema,
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const SessionResponseSchema = z.object({
  address: AddressSchema,
  role: RoleSchema,
  audience: AudienceSchema,
  chainId: z.number().int().positive(),
  issuedAt: TimestampSchema,
  expiresAt: TimestampSchema,
});
export type SessionResponse = z.infer<typeof SessionResponseSchema>;
