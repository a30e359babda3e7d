/**
 * Decides at sign-in whether an address may hold the role it asks for (runs in workerd).
 * Consumer: anyone with a wallet (rentals are checked per request). Provider and reviewer of a
 * dataset: only what the chain says. Until the chain bindings are wired, those two are refused.
 */
import { Cce4longError, type Role } from "@cce4long/protocol";

export interface RoleVerifier {
  /** Resolves if `address` may hold `role` now; throws AUTH_FORBIDDEN (or CHAIN_UNREACHABLE) if not. */
  assertMayHold(address: `0x${string}`, role: Role): Promise<void>;
}

export const consumerOnlyRoleVerifier: RoleVerifier = {
  async assertMayHold(address, role) {
    if (role.kind === "consumer") return;
    throw new Cce4longError("AUTH_FORBIDDEN", `The ${role.kind} role cannot be granted to this address`, {
      detail: { address, role, reason: "chain role checks not wired yet" },
    });
  },
};
