/**
 * The Privacy Plane's view of attestation (runs inside the TEE): a QuoteVerifier turns evidence
 * bytes into a typed, verified report, or throws ATTESTATION_INVALID. Implementations: tdx/ (Intel
 * DCAP, production) and insecure/ (development evidence, refused outside development deployments).
 */

/** Intel's TCB statuses, as named in TCB info and by @phala/dcap-qvl. */
export const TCB_STATUSES = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
  "Revoked",
] as const;

export type TcbStatus = (typeof TCB_STATUSES)[number];

/** What produced the evidence. "insecure-dev" proves nothing and must never pass a production policy. */
export type TeeType = "tdx" | "insecure-dev";

export type DeploymentKind = "development" | "production";

/** A quote whose signature, collateral, TCB status and attributes have all been checked. */
export interface VerifiedReport {
  teeType: TeeType;
  tcbStatus: TcbStatus;
  /** Intel security advisories (INTEL-SA-xxxxx) that apply to this platform's TCB level. */
  advisoryIds: readonly string[];
  /** 48-byte registers: the TD's build-time measurement and the four run-time ones. */
  mrtd: Uint8Array;
  rtmr0: Uint8Array;
  rtmr1: Uint8Array;
  rtmr2: Uint8Array;
  rtmr3: Uint8Array;
  /** The 64 bytes the attester bound into the quote (see protocol/src/attestation/report-data.ts). */
  reportData: Uint8Array;
  /** keccak256(mrtd || rtmr0 || rtmr1 || rtmr2): the bytes32 the on-chain policy names. */
  measurementId: `0x${string}`;
  /** Other TD identity fields, kept for logs and policy (48 bytes each, zero when unused). */
  mrConfigId: Uint8Array;
  mrOwner: Uint8Array;
  mrOwnerConfig: Uint8Array;
  /** The TD attributes (8 bytes; the debug bit is already refused by the verifier). */
  tdAttributes: Uint8Array;
  /** The time the verification was evaluated at (the caller's "now"). */
  verifiedAt: Date;
}

export interface VerifyOptions {
  /** Certificates, CRLs and TCB info are judged valid or expired at this instant. Always explicit. */
  now: Date;
}

export interface QuoteVerifier {
  /** Throws Cce4longError ATTESTATION_INVALID (detail.reason says why) on any failure. */
  verify(evidence: Uint8Array, options: VerifyOptions): Promise<VerifiedReport>;
}
