/**
 * The production QuoteVerifier (runs inside the TEE and in the CLI): Intel TDX DCAP quotes checked
 * by @phala/dcap-qvl against cached collateral at an explicit "now", then the TCB policy.
 */

import { Cce4longError } from "@cce4long/protocol";
import { measurementId } from "@cce4long/protocol/attestation/measurement-id";
import {
  constants,
  type VerifiedReport as DcapReport,
  QuoteVerifier as DcapVerifier,
  type TDReport10,
} from "@phala/dcap-qvl";
import { ATTESTATION_FAILURE, attestationRejected } from "../attestation-error";
import type { QuoteVerifier, VerifiedReport, VerifyOptions } from "../quote-verifier";
import { DEFAULT_TCB_POLICY, ensureTcbStatusAccepted, type TcbPolicy } from "../tcb-policy";
import type { CollateralSource } from "./collateral-cache";
import { classifyDcapError } from "./dcap-errors";
import { messageOf, parseTdxQuote, platformOfQuote } from "./quote";

export interface TdxQuoteVerifierOptions {
  collateral: CollateralSource;
  tcbPolicy?: TcbPolicy;
  /** Intel's SGX/TDX root CA (DER). Defaults to the one dcap-qvl pins; tests never need another. */
  rootCaDer?: Uint8Array;
}

export function createTdxQuoteVerifier(options: TdxQuoteVerifierOptions): QuoteVerifier {
  const policy = options.tcbPolicy ?? DEFAULT_TCB_POLICY;
  const dcap = new DcapVerifier(Buffer.from(options.rootCaDer ?? constants.TRUSTED_ROOT_CA_DER));

  return {
    async verify(evidence: Uint8Array, { now }: VerifyOptions): Promise<VerifiedReport> {
      ensureValidNow(now);
      const quote = parseTdxQuote(evidence);
      const platform = platformOfQuote(quote);
      const collateral = await options.collateral.collateralFor(platform, now);

      let result: DcapReport;
      try {
        result = dcap.verify(evidence, collateral, now.getTime() / 1000);
      } catch (error) {
        const problem = messageOf(error);
        throw attestationRejected(
          classifyDcapError(problem),
          { problem, platform, at: now.toISOString() },
          error,
        );
      }

      const status = result.status;
      if (status === "Unknown") {
        throw attestationRejected(ATTESTATION_FAILURE.TCB_UNMATCHED, { tcbStatus: status });
      }
      ensureTcbStatusAccepted(status, result.advisory_ids, policy);
      const td = tdReportOf(result);
      const report = {
        mrtd: copy(td.mrTd),
        rtmr0: copy(td.rtMr0),
        rtmr1: copy(td.rtMr1),
        rtmr2: copy(td.rtMr2),
      };
      return {
        teeType: "tdx",
        tcbStatus: status,
        advisoryIds: [...result.advisory_ids],
        ...report,
        rtmr3: copy(td.rtMr3),
        reportData: copy(td.reportData),
        measurementId: measurementId(report),
        mrConfigId: copy(td.mrConfigId),
        mrOwner: copy(td.mrOwner),
        mrOwnerConfig: copy(td.mrOwnerConfig),
        tdAttributes: copy(td.tdAttributes),
        verifiedAt: new Date(now.getTime()),
      };
    },
  };
}

export function ensureValidNow(now: Date): void {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new Cce4longError("VALIDATION_FAILED", "The verification time must be a valid date");
  }
}

function tdReportOf(result: DcapReport): TDReport10 {
  const td = result.report.asTd10(); // a TD 1.5 report's base is its TD 1.0 part
  if (!td)
    throw attestationRejected(ATTESTATION_FAILURE.QUOTE_UNSUPPORTED, { reportType: result.report.type });
  return td;
}

/** Our own copies: never hand out views into the caller's evidence buffer. */
function copy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes);
}
