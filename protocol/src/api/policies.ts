/**
 * Dataset policies (runs anywhere): the Output Gate's disclosure policy and the Explore sample policy a
 * provider sets per dataset, as a document signed with EIP-712 so that the Privacy Plane (and anyone)
 * can check against the chain that the dataset's current provider issued it. The edge API and the
 * object store only carry the document; they are not trusted. Spec: docs/policies.md.
 */
import { type Address, type Hex, keccak256, recoverTypedDataAddress, stringToBytes } from "viem";
import { z } from "zod";
import { exploreSamplePolicySchema } from "../explore/sample-policy";
import { gatePolicySchema } from "../gate/policy";
import { canonicalJson } from "../jobs/canonical-json";
import { AddressSchema, DatasetIdSchema, SignatureSchema } from "./common";

export const POLICY_KINDS = ["gate", "explore-sample"] as const;
export const PolicyKindSchema = z.enum(POLICY_KINDS);
export type PolicyKind = z.infer<typeof PolicyKindSchema>;

/** Each kind's schema: what the provider writes (every field optional; defaults fill the rest). */
export const POLICY_SCHEMAS = {
  gate: gatePolicySchema,
  "explore-sample": exploreSamplePolicySchema,
} as const satisfies Record<PolicyKind, z.ZodType>;

/** A policy document is small; anything bigger is refused before it is parsed. */
export const MAX_POLICY_BODY_BYTES = 16 * 1024;

/** Where a dataset's policy document lives in the (public) algorithms bucket. */
export function policyObjectKey(datasetId: string, kind: PolicyKind): string {
  return `policies/${datasetId.toLowerCase()}/${kind}.json`;
}

/** The EIP-712 type the provider signs; the policy itself is bound by its hash. */
export const DATASET_POLICY_TYPES = {
  DatasetPolicy: [
    { name: "datasetId", type: "bytes32" },
    { name: "kind", type: "string" },
    { name: "policyHash", type: "bytes32" },
    { name: "version", type: "uint64" },
    { name: "issuedAt", type: "uint64" },
  ],
} as const;

export function datasetPolicyDomain(chainId: number, hub: Hex) {
  return { name: "cce4long", version: "1", chainId, verifyingContract: hub } as const;
}

/** keccak256 of the policy's RFC 8785 canonical JSON, exactly as the provider wrote it. */
export function policyHash(policy: unknown): Hex {
  return keccak256(stringToBytes(canonicalJson(policy)));
}

const Uint64Seconds = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .meta({ description: "unix seconds" });

/** A policy version: strictly increasing per dataset and kind; a lower one is a rollback. */
export const PolicyVersionSchema = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** PUT /v1/datasets/{datasetId}/policies/{kind}. `policy` is checked against the kind's schema. */
export const SetPolicyRequestSchema = z.object({
  policy: z.record(z.string(), z.unknown()).meta({ description: "The policy as written (JSON object)" }),
  version: PolicyVersionSchema.meta({ description: "Greater than the version stored now" }),
  issuedAt: Uint64Seconds,
  signature: SignatureSchema.meta({
    description: "EIP-712 signature by the dataset's provider over DatasetPolicy (DATASET_POLICY_TYPES)",
  }),
});
export type SetPolicyRequest = z.infer<typeof SetPolicyRequestSchema>;

export const PolicyPathSchema = z.object({ datasetId: DatasetIdSchema, kind: PolicyKindSchema });

/** The stored document (what GET answers). `signer` is a claim: verification recovers it. */
export const PolicyDocumentSchema = SetPolicyRequestSchema.extend({
  datasetId: DatasetIdSchema,
  kind: PolicyKindSchema,
  signer: AddressSchema,
});
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;

/** The EIP-712 message of a document (signer and verifiers build it with this one function). */
export function datasetPolicyMessage(input: {
  datasetId: string;
  kind: PolicyKind;
  policy: unknown;
  version: number;
  issuedAt: number;
}) {
  return {
    datasetId: input.datasetId.toLowerCase() as Hex,
    kind: input.kind,
    policyHash: policyHash(input.policy),
    version: BigInt(input.version),
    issuedAt: BigInt(input.issuedAt),
  } as const;
}

/** Who signed the document (any change to the policy, version or ids changes the answer). */
export function recoverPolicySigner(
  document: Pick<PolicyDocument, "datasetId" | "kind" | "policy" | "version" | "issuedAt" | "signature">,
  chainId: number,
  hub: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({
    domain: datasetPolicyDomain(chainId, hub),
    types: DATASET_POLICY_TYPES,
    primaryType: "DatasetPolicy",
    message: datasetPolicyMessage(document),
    signature: document.signature as Hex,
  });
}

export type PolicyCheck<K extends PolicyKind> =
  | { ok: true; document: PolicyDocument; policy: z.output<(typeof POLICY_SCHEMAS)[K]> }
  | { ok: false; reason: string };

/**
 * Checks a stored document for one dataset and kind against the provider the chain names now:
 * shape, ids, signature by that provider, then the policy against its kind's schema. The caller
 * reads `provider` from the chain (getDataset(datasetId).provider) and handles rollbacks.
 */
export async function checkPolicyDocument<K extends PolicyKind>(
  raw: unknown,
  expected: { datasetId: string; kind: K; provider: Address; chainId: number; hub: Hex },
): Promise<PolicyCheck<K>> {
  const parsed = PolicyDocumentSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: "the document is malformed" };
  const document = parsed.data;
  if (document.datasetId !== expected.datasetId.toLowerCase() || document.kind !== expected.kind) {
    return { ok: false, reason: "the document is for another dataset or kind" };
  }
  const signer = await recoverPolicySigner(document, expected.chainId, expected.hub).catch(() => null);
  if (signer === null || signer.toLowerCase() !== expected.provider.toLowerCase()) {
    return { ok: false, reason: "the document is not signed by the dataset's current provider" };
  }
  const policy = POLICY_SCHEMAS[expected.kind].safeParse(document.policy);
  if (!policy.success) return { ok: false, reason: "the policy fails its schema" };
  return { ok: true, document, policy: policy.data as z.output<(typeof POLICY_SCHEMAS)[K]> };
}
