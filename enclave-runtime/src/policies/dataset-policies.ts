/**
 * The provider's per-dataset policies as the Privacy Plane applies them (runs inside the TEE): the gate's
 * disclosure policy and the Explore sample policy, read from the untrusted store and accepted only when
 * the dataset's current on-chain provider signed them (protocol/src/api/policies.ts). A missing or
 * invalid document means the defaults, logged; a rollback to an older version keeps the newest seen,
 * remembered durably (policy-memory.ts), and marks the answer `rolledBack` so the gate refuses to
 * auto-approve while the store does not show the newest accepted document.
 */
import { checkPolicyDocument, POLICY_SCHEMAS, type PolicyKind } from "@cce4long/protocol/api/policies";
import type { Address, Hex } from "viem";
import type { z } from "zod";
import { InMemoryPolicyMemory, type PolicyMemory, type RememberedPolicy } from "./policy-memory";

type Log = (event: string, fields: Record<string, unknown>) => void;

export type EffectivePolicy<K extends PolicyKind> = z.output<(typeof POLICY_SCHEMAS)[K]>;

export interface PolicyResolution<K extends PolicyKind> {
  policy: EffectivePolicy<K>;
  /** "provider": a verified document; "default": none or an invalid one (see `reason`). */
  source: "provider" | "default";
  version: number | null;
  reason?: string;
  /**
   * True when the store did not show the newest document accepted for this dataset and kind (gone,
   * older, forked or invalid): the remembered one applies, and the gate must not auto-approve.
   */
  rolledBack?: true;
}

export interface DatasetPoliciesOptions {
  /** The stored document as parsed JSON, null when there is none. Store failures throw. */
  fetchDocument(datasetId: string, kind: PolicyKind): Promise<unknown | null>;
  /** getDataset(datasetId).provider, or null for an unknown dataset. Chain failures throw. */
  providerOf(datasetId: string): Promise<Address | null>;
  chainId: number;
  hub: Hex;
  log: Log;
  /** Where the newest accepted documents are remembered; in memory (this process only) if omitted. */
  memory?: PolicyMemory;
}

export interface DatasetPolicies {
  resolve<K extends PolicyKind>(datasetId: string, kind: K): Promise<PolicyResolution<K>>;
  gatePolicy(datasetId: string): Promise<EffectivePolicy<"gate">>;
  samplePolicy(datasetId: string): Promise<EffectivePolicy<"explore-sample">>;
}

export function createDatasetPolicies(options: DatasetPoliciesOptions): DatasetPolicies {
  // The newest document accepted per dataset and kind: the store cannot roll a dataset back to an older
  // (perhaps looser) signed policy, or hide it, while we remember it, across restarts with a file memory.
  const memory = options.memory ?? new InMemoryPolicyMemory();

  const defaults = <K extends PolicyKind>(kind: K, reason: string | undefined): PolicyResolution<K> => ({
    policy: POLICY_SCHEMAS[kind].parse({}) as EffectivePolicy<K>,
    source: "default",
    version: null,
    ...(reason === undefined ? {} : { reason }),
  });

  async function resolve<K extends PolicyKind>(rawId: string, kind: K): Promise<PolicyResolution<K>> {
    const datasetId = rawId.toLowerCase();
    const provider = await options.providerOf(datasetId);
    if (provider === null) return defaults(kind, "the dataset is not on-chain");
    const remembered: RememberedPolicy | undefined = await memory.get(datasetId, kind);
    // A remembered document stands only while its signer is still the provider.
    const known = remembered?.provider === provider.toLowerCase() ? remembered : undefined;
    const fallback = (reason: string): PolicyResolution<K> => {
      options.log("policy.rejected", {
        datasetId,
        kind,
        reason,
        kept: known?.document.version ?? "defaults",
      });
      if (known === undefined) return defaults(kind, reason);
      return {
        policy: POLICY_SCHEMAS[kind].parse(known.document.policy) as EffectivePolicy<K>,
        source: "provider",
        version: known.document.version,
        reason,
        rolledBack: true,
      };
    };

    const raw = await options.fetchDocument(datasetId, kind);
    if (raw === null) {
      return known === undefined
        ? defaults(kind, undefined)
        : fallback("the document is gone from the store");
    }
    const check = await checkPolicyDocument(raw, {
      datasetId,
      kind,
      provider,
      chainId: options.chainId,
      hub: options.hub,
    });
    if (!check.ok) return fallback(check.reason);
    const { document } = check;
    if (known !== undefined) {
      const older = document.version < known.document.version;
      const forked =
        document.version === known.document.version && document.signature !== known.document.signature;
      if (older || forked)
        return fallback(`version ${document.version} does not supersede version ${known.document.version}`);
    }
    const same = known?.document.version === document.version; // same version and signature (above)
    if (!same) await memory.remember(datasetId, kind, { document, provider: provider.toLowerCase() });
    return { policy: check.policy as EffectivePolicy<K>, source: "provider", version: document.version };
  }

  return {
    resolve,
    gatePolicy: async (datasetId) => (await resolve(datasetId, "gate")).policy,
    samplePolicy: async (datasetId) => (await resolve(datasetId, "explore-sample")).policy,
  };
}
