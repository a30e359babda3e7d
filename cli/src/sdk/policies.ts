/**
 * Dataset policies from the SDK (runs on the user's machine): the provider signs a gate or Explore sample
 * policy with EIP-712 and stores it through the edge API; anyone fetches a dataset's document and checks,
 * as the Privacy Plane does, that the dataset's current on-chain provider signed it.
 */
import {
  Cce4longError,
  checkPolicyDocument,
  DATASET_POLICY_TYPES,
  datasetPolicyDomain,
  datasetPolicyMessage,
  isCce4longError,
  POLICY_SCHEMAS,
  type PolicyDocument,
  type PolicyKind,
  recoverPolicySigner,
  type SetPolicyRequest,
} from "@cce4long/protocol";
import type { Address, Hex, LocalAccount } from "viem";
import type { ApiClient } from "./api-client";

const policyPath = (datasetId: string, kind: PolicyKind) => `/v1/datasets/${datasetId}/policies/${kind}`;

/** The policy checked against its kind's schema here, so a typo fails before anything is signed. */
export function validatePolicy(kind: PolicyKind, policy: unknown): Record<string, unknown> {
  const parsed = POLICY_SCHEMAS[kind].safeParse(policy);
  if (!parsed.success || typeof policy !== "object" || policy === null || Array.isArray(policy)) {
    const issues = parsed.success
      ? "must be a JSON object"
      : parsed.error.issues.map(describeIssue).join("; ");
    throw new Cce4longError("VALIDATION_FAILED", `not a valid ${kind} policy: ${issues}`);
  }
  return policy as Record<string, unknown>;
}

function describeIssue(issue: { path: PropertyKey[]; message: string }): string {
  return `${issue.path.map(String).join(".") || "(policy)"}: ${issue.message}`;
}

export async function signDatasetPolicy(
  provider: LocalAccount,
  input: {
    chainId: number;
    hub: Hex;
    datasetId: Hex;
    kind: PolicyKind;
    policy: Record<string, unknown>;
    version: number;
    issuedAt?: number;
  },
): Promise<SetPolicyRequest> {
  const issuedAt = input.issuedAt ?? Math.floor(Date.now() / 1000);
  const signature = await provider.signTypedData({
    domain: datasetPolicyDomain(input.chainId, input.hub),
    types: DATASET_POLICY_TYPES,
    primaryType: "DatasetPolicy",
    message: datasetPolicyMessage({ ...input, issuedAt }),
  });
  return { policy: input.policy, version: input.version, issuedAt, signature };
}

/** Stores a signed policy (the client must be signed in as the dataset's provider). */
export function putDatasetPolicy(
  api: ApiClient,
  datasetId: Hex,
  kind: PolicyKind,
  request: SetPolicyRequest,
): Promise<PolicyDocument> {
  return api.request<PolicyDocument>("PUT", policyPath(datasetId, kind), request);
}

/** The stored document, or null when the provider set none. */
export async function fetchDatasetPolicy(
  api: ApiClient,
  datasetId: Hex,
  kind: PolicyKind,
): Promise<PolicyDocument | null> {
  try {
    return await api.request<PolicyDocument>("GET", policyPath(datasetId, kind));
  } catch (error) {
    if (isCce4longError(error) && error.code === "NOT_FOUND") return null;
    throw error;
  }
}

export interface PolicyInspection {
  kind: PolicyKind;
  /** "provider": a document the current provider signed is in force; "default": the defaults apply. */
  source: "provider" | "default";
  /** Signed by the dataset's current provider; null when no document is stored. */
  signatureValid: boolean | null;
  version: number | null;
  signer: string | null;
  issuedAt: string | null;
  reason?: string;
  /** The effective policy, every default filled in. */
  policy: unknown;
}

/** What the Privacy Plane would apply, by the same check (it also refuses rollbacks below what it has seen). */
export async function inspectDatasetPolicy(input: {
  api: ApiClient;
  providerOf: (datasetId: Hex) => Promise<Address | null>;
  chainId: number;
  hub: Hex;
  datasetId: Hex;
  kind: PolicyKind;
}): Promise<PolicyInspection> {
  const defaults = POLICY_SCHEMAS[input.kind].parse({});
  const document = await fetchDatasetPolicy(input.api, input.datasetId, input.kind);
  if (document === null) {
    return {
      kind: input.kind,
      source: "default",
      signatureValid: null,
      version: null,
      signer: null,
      issuedAt: null,
      policy: defaults,
    };
  }
  const described = {
    kind: input.kind,
    version: document.version,
    signer: document.signer,
    issuedAt: new Date(document.issuedAt * 1000).toISOString(),
  };
  const provider = await input.providerOf(input.datasetId);
  if (provider === null) {
    return {
      ...described,
      source: "default",
      signatureValid: false,
      reason: "the dataset is not on-chain",
      policy: defaults,
    };
  }
  const signer = await recoverPolicySigner(document, input.chainId, input.hub).catch(() => null);
  const signatureValid = signer !== null && signer.toLowerCase() === provider.toLowerCase();
  const check = await checkPolicyDocument(document, { ...input, provider });
  if (!check.ok)
    return { ...described, source: "default", signatureValid, reason: check.reason, policy: defaults };
  return { ...described, source: "provider", signatureValid, policy: check.policy };
}
