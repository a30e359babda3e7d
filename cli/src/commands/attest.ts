/**
 * `cce4long attest verify`: verifies an Intel TDX DCAP quote offline against given collateral at a
 * given time, with the very verifier the Privacy Plane uses (runs on an auditor's or user's machine).
 * Prints the TCB status and the measurements; exits 4 with the reason when verification fails.
 */
import { readFile } from "node:fs/promises";
import { attestationFailureOf } from "@cce4long/enclave-runtime/attestation/attestation-error";
import type { VerifiedReport } from "@cce4long/enclave-runtime/attestation/quote-verifier";
import { TcbPolicySchema } from "@cce4long/enclave-runtime/attestation/tcb-policy";
import { CollateralCache } from "@cce4long/enclave-runtime/attestation/tdx/collateral-cache";
import { createTdxQuoteVerifier } from "@cce4long/enclave-runtime/attestation/tdx/tdx-quote-verifier";
import { Cce4longError, isCce4longError } from "@cce4long/protocol";
import type { Command } from "commander";
import type { Output } from "../output";
import type { CommandGroup } from "./index";

interface VerifyFlags {
  quote: string;
  collateral: string;
  at: string;
  acceptTcb?: string;
}

export const attestCommands: CommandGroup = (program: Command, output: () => Output) => {
  const attest = program.command("attest").description("verify TEE attestation evidence");

  attest
    .command("verify")
    .description(
      "verify a raw Intel TDX quote offline: signatures, certificate chain, collateral, TCB status",
    )
    .requiredOption("--quote <file>", "the raw binary quote")
    .requiredOption("--collateral <file>", "its DCAP collateral as JSON (the dcap-qvl / PCCS field names)")
    .requiredOption("--at <iso-time>", "the instant to judge validity at, e.g. 2025-06-19T11:16:03Z")
    .option(
      "--accept-tcb <statuses>",
      "comma-separated TCB statuses to accept (default: UpToDate; Revoked is never accepted)",
    )
    .action(async (flags: VerifyFlags) => {
      const at = parseInstant(flags.at);
      const tcbPolicy = parsePolicy(flags.acceptTcb);
      const quote = new Uint8Array(await readInput(flags.quote, "quote"));
      const collateral = parseJson(await readInput(flags.collateral, "collateral"), flags.collateral);

      let report: VerifiedReport;
      try {
        const cache = new CollateralCache({ collateral: [collateral] });
        report = await createTdxQuoteVerifier({ collateral: cache, tcbPolicy }).verify(quote, { now: at });
      } catch (error) {
        throw explain(error);
      }
      const result = summarize(report);
      output().result(result, () =>
        [
          `quote verified at ${result.verifiedAt}`,
          `  tee             ${result.teeType}`,
          `  tcb status      ${result.tcbStatus}${result.advisoryIds.length ? ` (advisories: ${result.advisoryIds.join(", ")})` : ""}`,
          `  measurement id  ${result.measurementId}`,
          `  mrtd            ${result.mrtd}`,
          `  rtmr0           ${result.rtmr0}`,
          `  rtmr1           ${result.rtmr1}`,
          `  rtmr2           ${result.rtmr2}`,
          `  rtmr3           ${result.rtmr3}`,
          `  report_data     ${result.reportData}`,
        ].join("\n"),
      );
    });
};

function summarize(report: VerifiedReport) {
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
  return {
    verified: true,
    teeType: report.teeType,
    tcbStatus: report.tcbStatus,
    advisoryIds: [...report.advisoryIds],
    measurementId: report.measurementId,
    mrtd: hex(report.mrtd),
    rtmr0: hex(report.rtmr0),
    rtmr1: hex(report.rtmr1),
    rtmr2: hex(report.rtmr2),
    rtmr3: hex(report.rtmr3),
    reportData: hex(report.reportData),
    verifiedAt: report.verifiedAt.toISOString(),
  };
}

/** Offline, the person running the CLI is the one who needs the reason: put it in the message. */
function explain(error: unknown): unknown {
  const reason = attestationFailureOf(error);
  if (!reason || !isCce4longError(error)) return error;
  const problem = error.detail?.problem;
  return new Cce4longError(
    "ATTESTATION_INVALID",
    `quote verification failed: ${reason}${typeof problem === "string" ? ` (${problem})` : ""}`,
    { cause: error, detail: error.detail },
  );
}

function parseInstant(value: string): Date {
  // Require an explicit UTC offset: a bare local time would make the verdict depend on the machine.
  const at = new Date(value);
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(at.getTime())) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      `--at must be an ISO 8601 time with a zone, e.g. 2025-06-19T11:16:03Z`,
    );
  }
  return at;
}

function parsePolicy(value: string | undefined) {
  const statuses = value === undefined ? undefined : value.split(",").map((s) => s.trim());
  const parsed = TcbPolicySchema.safeParse({ acceptedStatuses: statuses });
  if (!parsed.success) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      "--accept-tcb takes TCB statuses such as UpToDate,SWHardeningNeeded,OutOfDate (never Revoked)",
    );
  }
  return parsed.data;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Cce4longError("BAD_REQUEST", `cannot read the ${what} file ${path}`, { cause: error });
  }
}

function parseJson(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new Cce4longError("VALIDATION_FAILED", `the collateral file ${path} is not JSON`, { cause: error });
  }
}
