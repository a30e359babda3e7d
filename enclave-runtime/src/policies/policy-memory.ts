/**
 * What the Privacy Plane remembers of the providers' policies (runs inside the TEE): per dataset and
 * kind, the newest signed document it accepted and the provider that signed it. This memory is what
 * stops the untrusted store from rolling a dataset back to an older, looser policy or hiding it, so it
 * must outlive the process: file-policy-memory.ts keeps it under PRIVACY_PLANE_STATE_DIR (dstack's
 * encrypted disk in production); the in-memory one is for tests and stacks without a state folder.
 */
import type { PolicyDocument, PolicyKind } from "@cce4long/protocol/api/policies";

export interface RememberedPolicy {
  document: PolicyDocument;
  /** The provider (lower case) the signature recovered to when the document was accepted. */
  provider: string;
}

export interface PolicyMemory {
  /** The remembered document; throws POLICY_STATE_CORRUPT when the state cannot be trusted. */
  get(datasetId: string, kind: PolicyKind): Promise<RememberedPolicy | undefined>;
  /** Remembers a newly accepted document (durably, before the policy is applied). */
  remember(datasetId: string, kind: PolicyKind, remembered: RememberedPolicy): Promise<void>;
}

export class InMemoryPolicyMemory implements PolicyMemory {
  readonly #slots = new Map<string, RememberedPolicy>();

  async get(datasetId: string, kind: PolicyKind): Promise<RememberedPolicy | undefined> {
    const found = this.#slots.get(`${datasetId.toLowerCase()}/${kind}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  async remember(datasetId: string, kind: PolicyKind, remembered: RememberedPolicy): Promise<void> {
    this.#slots.set(`${datasetId.toLowerCase()}/${kind}`, structuredClone(remembered));
  }
}
