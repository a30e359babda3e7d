/**
 * Decides at sign-in whether an address may hold the role it asks for (runs in workerd).
 * Consumer: anyone with a wallet (rentals are checked per request). Provider of a dataset: the
 * address the hub records as its provider. Reviewer: an address on the dataset's reviewer list.
 * Checked once, at issue time; tokens are short-lived so a revoked reviewer loses access within the TTL.
 */
import { Cce4longError, type Role } from "@cce4long/protocol";
import { isAddressEqual } from "viem";
import type { HubReader } from "../chain/hub-reader";

export interface RoleVerifier {
  /** Resolves if `address` may hold `role` now; throws AUTH_FORBIDDEN (or CHAIN_UNREACHABLE) if not. */
  assertMayHold(address: `0x${string}`, role: Role): Promise<void>;
}

function refuse(address: string, role: Role, reason: string): Cce4longError {
  return new Cce4longError(
    "AUTH_FORBIDDEN",
    `The ${role.kind} role on this dataset cannot be granted to this address`,
    {
      detail: { address, role, reason },
    },
  );
}

export function chainRoleVerifier(hub: Pick<HubReader, "dataset" | "isReviewer">): RoleVerifier {
  return {
    async assertMayHold(address, role) {
      if (role.kind === "consumer") return;
      const dataset = await hub.dataset(role.datasetId);
      if (dataset === null) throw refuse(address, role, "unknown dataset");
      if (role.kind === "provider") {
        if (!isAddressEqual(dataset.provider, address)) throw refuse(address, role, "not the provider");
        return;
      }
      if (!(await hub.isReviewer(role.datasetId, address))) throw refuse(address, role, "not a reviewer");
    },
  };
}
