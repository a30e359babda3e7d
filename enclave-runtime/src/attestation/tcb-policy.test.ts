/**
 * Tests of the TCB status policy and of the dcap-qvl error classification (runs in Node).
 */
import { describe, expect, it } from "vitest";
import { attestationFailureOf } from "./attestation-error";
import type { TcbStatus } from "./quote-verifier";
import { DEFAULT_TCB_POLICY, ensureTcbStatusAccepted, TcbPolicySchema } from "./tcb-policy";
import { classifyDcapError } from "./tdx/dcap-errors";

const reasonFor = (status: TcbStatus, policy = DEFAULT_TCB_POLICY) => {
  try {
    ensureTcbStatusAccepted(status, ["INTEL-SA-00837"], policy);
    return "accepted";
  } catch (error) {
    return attestationFailureOf(error);
  }
};

describe("TCB policy", () => {
  it("by default accepts UpToDate only", () => {
    expect(reasonFor("UpToDate")).toBe("accepted");
    for (const status of [
      "SWHardeningNeeded",
      "ConfigurationNeeded",
      "OutOfDate",
      "OutOfDateConfigurationNeeded",
    ] as const) {
      expect(reasonFor(status)).toBe("TCB_STATUS_REFUSED");
    }
  });

  it("accepts what the configuration opts into", () => {
    const policy = TcbPolicySchema.parse({
      acceptedStatuses: ["UpToDate", "SWHardeningNeeded", "OutOfDate"],
    });
    expect(reasonFor("OutOfDate", policy)).toBe("accepted");
    expect(reasonFor("ConfigurationNeeded", policy)).toBe("TCB_STATUS_REFUSED");
  });

  it("never accepts Revoked: the config cannot name it and the check refuses it anyway", () => {
    expect(TcbPolicySchema.safeParse({ acceptedStatuses: ["UpToDate", "Revoked"] }).success).toBe(false);
    const forced = { acceptedStatuses: ["Revoked"] } as unknown as typeof DEFAULT_TCB_POLICY;
    expect(reasonFor("Revoked", forced)).toBe("TCB_REVOKED");
  });

  it("config: an empty list is refused, a missing one defaults to UpToDate", () => {
    expect(TcbPolicySchema.safeParse({ acceptedStatuses: [] }).success).toBe(false);
    expect(TcbPolicySchema.parse({})).toEqual({ acceptedStatuses: ["UpToDate"] });
  });
});

describe("classifyDcapError (messages of @phala/dcap-qvl 0.3.9)", () => {
  it.each([
    ["Failed to decode quote", "QUOTE_MALFORMED"],
    ["Unsupported DCAP TEE type", "QUOTE_UNSUPPORTED"],
    ["TDX TEE quote must have version 4 or 5", "QUOTE_UNSUPPORTED"],
    ["TCBInfo expired", "COLLATERAL_EXPIRED"],
    ["QE Identity expired", "COLLATERAL_EXPIRED"],
    ["TCBInfo issue date is in the future", "COLLATERAL_NOT_YET_VALID"],
    ["Signature is invalid for tcb_info", "COLLATERAL_INVALID"],
    ["Signature is invalid for qe_identity", "COLLATERAL_INVALID"],
    ["TDX quote with non-TDX TCB info in the collateral", "COLLATERAL_INVALID"],
    ["TCB status is invalid: Revoked", "TCB_REVOKED"],
    ["No matching TCB level found", "TCB_UNMATCHED"],
    ["Fmspc mismatch", "TCB_UNMATCHED"],
    ["QE MRSIGNER mismatch: expected A, got B", "QE_IDENTITY_MISMATCH"],
    ["QE ISVSVN 1 is below minimum required 2 from QE Identity", "QE_IDENTITY_MISMATCH"],
    ["Debug mode is enabled", "TD_ATTRIBUTES_REFUSED"],
    ["SEPT_VE_DISABLE is not enabled", "TD_ATTRIBUTES_REFUSED"],
    ["Certificate is revoked", "CERT_CHAIN_INVALID"],
    ["Certificate is expired or not yet valid", "CERT_CHAIN_INVALID"],
    ["Failed to verify certificate chain - leaf signature invalid", "CERT_CHAIN_INVALID"],
    ["ISV enclave report signature is invalid", "QUOTE_SIGNATURE_INVALID"],
    ["QE report hash mismatch", "QUOTE_SIGNATURE_INVALID"],
    ["something nobody has seen before", "QUOTE_SIGNATURE_INVALID"],
  ])("%s -> %s", (message, reason) => {
    expect(classifyDcapError(message)).toBe(reason);
  });
});
