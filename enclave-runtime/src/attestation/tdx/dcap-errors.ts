/**
 * Maps @phala/dcap-qvl 0.3.9's error messages to our stable failure reasons (runs inside the TEE and
 * in the CLI). dcap-qvl throws plain Errors; the pinned version's messages are listed in its
 * src/verify.js and src/utils.js. An unknown message maps to QUOTE_SIGNATURE_INVALID: still refused.
 */
import { ATTESTATION_FAILURE, type AttestationFailure } from "../attestation-error";

const RULES: readonly [RegExp, AttestationFailure][] = [
  [
    /^Failed to decode quote|^Unsupported DCAP quote version|^Not enough data/,
    ATTESTATION_FAILURE.QUOTE_MALFORMED,
  ],
  [
    /^Unsupported DCAP (TEE type|attestation key type|PCK cert format)|^(SGX|TDX) TEE quote must have/,
    ATTESTATION_FAILURE.QUOTE_UNSUPPORTED,
  ],
  [/^TCBInfo expired|^QE Identity expired/, ATTESTATION_FAILURE.COLLATERAL_EXPIRED],
  [/issue date is in the future/, ATTESTATION_FAILURE.COLLATERAL_NOT_YET_VALID],
  [
    /^Failed to decode (TcbInfo|QeIdentity)|^Signature is invalid for (tcb_info|qe_identity)|too short for (TCB Info|QE Identity)|^Unsupported QE Identity|non-(TDX|SGX) TCB info|^No (SGX|TDX) components|^No TCB levels found/,
    ATTESTATION_FAILURE.COLLATERAL_INVALID,
  ],
  [/^TCB status is invalid: Revoked/, ATTESTATION_FAILURE.TCB_REVOKED],
  [/^No matching TCB level found|^Fmspc mismatch|^TCB status is invalid/, ATTESTATION_FAILURE.TCB_UNMATCHED],
  [
    /^QE (MRSIGNER|ISVPRODID|MISCSELECT|ATTRIBUTES) mismatch|^QE ISVSVN/,
    ATTESTATION_FAILURE.QE_IDENTITY_MISMATCH,
  ],
  [
    /^Debug mode is enabled|^Reserved bits in TD attributes|^SEPT_VE_DISABLE|^Invalid mr service td/,
    ATTESTATION_FAILURE.TD_ATTRIBUTES_REFUSED,
  ],
  [
    /certificate chain|^Certificate is (expired|revoked)|^CaUsedAsEndEntity|PCK certificates|^Certificate chain is too short in quote|Intel extension|length mismatch/i,
    ATTESTATION_FAILURE.CERT_CHAIN_INVALID,
  ],
  [
    /^ISV enclave report signature is invalid|^Signature is invalid for qe_report|^QE report hash mismatch/,
    ATTESTATION_FAILURE.QUOTE_SIGNATURE_INVALID,
  ],
];

export function classifyDcapError(message: string): AttestationFailure {
  for (const [pattern, reason] of RULES) if (pattern.test(message)) return reason;
  return ATTESTATION_FAILURE.QUOTE_SIGNATURE_INVALID;
}
