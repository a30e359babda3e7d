/**
 * Which TCB statuses the Privacy Plane accepts (runs inside the TEE and in the CLI). UpToDate only,
 * unless the deployment's configuration explicitly widens it; Revoked can never be accepted.
 */
import { z } from "zod";
import { ATTESTATION_FAILURE, attestationRejected } from "./attestation-error";
import type { TcbStatus } from "./quote-verifier";

/** Every status but Revoked may be opted into; Revoked is not even expressible in the config. */
const AcceptableStatus = z.enum([
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
]);

export const TcbPolicySchema = z.object({
  acceptedStatuses: z.array(AcceptableStatus).min(1).default(["UpToDate"]),
});

export type TcbPolicy = z.infer<typeof TcbPolicySchema>;

/** The default: fail closed, accept only platforms with every Intel fix applied. */
export const DEFAULT_TCB_POLICY: TcbPolicy = Object.freeze({ acceptedStatuses: ["UpToDate"] }) as TcbPolicy;

export function ensureTcbStatusAccepted(
  status: TcbStatus,
  advisoryIds: readonly string[],
  policy: TcbPolicy,
): void {
  if (status === "Revoked") {
    throw attestationRejected(ATTESTATION_FAILURE.TCB_REVOKED, { tcbStatus: status, advisoryIds });
  }
  if (!(policy.acceptedStatuses as readonly string[]).includes(status)) {
    throw attestationRejected(ATTESTATION_FAILURE.TCB_STATUS_REFUSED, {
      tcbStatus: status,
      advisoryIds,
      accepted: policy.acceptedStatuses,
    });
  }
}
