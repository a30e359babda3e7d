/**
 * Reading a raw TDX quote before it is verified (runs inside the TEE and in the CLI): its structure,
 * and which platform (FMSPC, PCK CA) it claims, to pick the collateral. Nothing here is trusted yet:
 * dcap-qvl's verification afterwards checks every byte read here against Intel's signatures.
 */
import { isDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { constants, Quote, utils } from "@phala/dcap-qvl";
import { ATTESTATION_FAILURE, attestationRejected } from "../attestation-error";
import { type PlatformId, pckCaOfChain } from "./collateral";

/** Header tee_type of a TDX quote (0x00 is SGX). */
export const TEE_TYPE_TDX = 0x81;
/** Certification data type 5: the PCK certificate chain is embedded in the quote. */
const CERT_TYPE_PCK_CHAIN = 5;
/** No real quote comes near this; refuse before parsing anything larger. */
export const MAX_QUOTE_BYTES = 64 * 1024;

export function parseTdxQuote(evidence: Uint8Array): Quote {
  if (!(evidence instanceof Uint8Array) || evidence.length === 0 || evidence.length > MAX_QUOTE_BYTES) {
    throw attestationRejected(ATTESTATION_FAILURE.QUOTE_MALFORMED, { length: evidence?.length });
  }
  if (isDevEvidence(evidence)) {
    throw attestationRejected(ATTESTATION_FAILURE.QUOTE_UNSUPPORTED, {
      problem: "insecure development evidence offered to the TDX verifier",
    });
  }
  let quote: Quote;
  try {
    quote = Quote.parse(evidence);
  } catch (error) {
    throw attestationRejected(
      ATTESTATION_FAILURE.QUOTE_MALFORMED,
      { length: evidence.length, problem: messageOf(error) },
      error,
    );
  }
  // dcap-qvl ignores bytes after the declared structure. Real quotes can carry zero padding there
  // (the vector does: 70 bytes); anything else would make one quote have many encodings.
  const end = structureLength(evidence, quote);
  if (evidence.subarray(end).some((byte) => byte !== 0)) {
    throw attestationRejected(ATTESTATION_FAILURE.QUOTE_MALFORMED, {
      problem: "non-zero bytes after the quote",
      end,
    });
  }
  const { version, teeType } = quote.header;
  if (teeType !== TEE_TYPE_TDX || (version !== 4 && version !== 5) || quote.report.type === "sgx") {
    throw attestationRejected(ATTESTATION_FAILURE.QUOTE_UNSUPPORTED, { version, teeType });
  }
  return quote;
}

/** The platform named by the quote's embedded PCK certificate (its FMSPC extension and its issuing CA). */
export function platformOfQuote(quote: Quote): PlatformId {
  if (quote.authData.version === 4) {
    const inner = (quote.authData.data as { qeReportData?: { certificationData: { certType: number } } })
      .qeReportData?.certificationData.certType;
    if (inner !== CERT_TYPE_PCK_CHAIN) {
      // Types 2/3 (encrypted PPID) need the PCK certificate fetched from a PCCS first; GCP's TDX
      // quotes embed the chain, so this is refused rather than half supported.
      throw attestationRejected(ATTESTATION_FAILURE.QUOTE_UNSUPPORTED, { certificationDataType: inner });
    }
  }
  try {
    const chain = Buffer.from(quote.rawCertChain());
    const [leaf] = utils.extractCerts(chain);
    if (!leaf) throw new Error("empty PCK certificate chain");
    const fmspc = Buffer.from(utils.getFmspc(utils.getIntelExtension(leaf)))
      .toString("hex")
      .toUpperCase();
    return { fmspc, ca: pckCaOfChain(chain.toString("utf8"), "issuer") };
  } catch (error) {
    throw attestationRejected(
      ATTESTATION_FAILURE.CERT_CHAIN_INVALID,
      { problem: `PCK certificate unreadable: ${messageOf(error)}` },
      error,
    );
  }
}

/** Header, the v5 body descriptor, the report, then a u32 length and the auth data it announces. */
function structureLength(evidence: Uint8Array, quote: Quote): number {
  const reportLength =
    quote.report.type === "td15"
      ? constants.TD_REPORT15_BYTE_LEN
      : quote.report.type === "td10"
        ? constants.TD_REPORT10_BYTE_LEN
        : constants.ENCLAVE_REPORT_BYTE_LEN;
  const offset =
    constants.HEADER_BYTE_LEN + (quote.header.version === 5 ? constants.BODY_BYTE_SIZE : 0) + reportLength;
  const view = new DataView(evidence.buffer, evidence.byteOffset, evidence.byteLength);
  return offset + 4 + view.getUint32(offset, true);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
