/**
 * `cce4long cohort generate`: writes a synthetic longevity cohort to CSV or Parquet (runs on the
 * user's machine). Progress goes to stderr; the summary is the command's result.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { Command } from "commander";
import { COHORT_FORMATS, type CohortFormat, type CohortSummary, writeCohort } from "../cohort/write";
import type { Output } from "../output";
import type { CommandGroup } from "./index";

interface GenerateFlags {
  participants: string;
  seed: string;
  format: string;
  out: string;
}

export const cohortCommands: CommandGroup = (program: Command, output: () => Output) => {
  const cohort = program.command("cohort").description("synthetic longevity cohorts for demos and tests");
  cohort
    .command("generate")
    .description(
      "generate a deterministic synthetic cohort (direct identifiers, biomarkers, clock age, survival)",
    )
    .requiredOption("--participants <n>", "number of participants (rows)")
    .option("--seed <s>", "seed: an integer, same seed gives the same bytes", "1")
    .option("--format <format>", "csv or parquet", "csv")
    .requiredOption("--out <file>", "file to write (overwritten)")
    .action(async (flags: GenerateFlags) => {
      const out = output();
      const participants = parseParticipants(flags.participants);
      const seed = parseSeed(flags.seed);
      const format = parseFormat(flags.format);
      const started = performance.now();
      const summary = await writeCohort({
        participants,
        seed,
        format,
        out: flags.out,
        progressEvery: Math.max(10_000, Math.ceil(participants / 20)),
        onProgress: (rows) => {
          const seconds = (performance.now() - started) / 1000;
          const pct = ((100 * rows) / participants).toFixed(0).padStart(3);
          out.info(`  ${pct}%  ${rows.toLocaleString("en")} rows  ${seconds.toFixed(1)} s`);
        },
      });
      out.result(summary, () => renderSummary(summary));
    });
};

function parseParticipants(text: string): number {
  if (!/^\d+$/.test(text.trim())) {
    throw new Cce4longError("VALIDATION_FAILED", `--participants must be a whole number, got "${text}"`);
  }
  return Number(text);
}

function parseSeed(text: string): bigint {
  if (!/^-?\d+$/.test(text.trim())) {
    throw new Cce4longError("VALIDATION_FAILED", `--seed must be an integer, got "${text}"`);
  }
  return BigInt(text.trim());
}

function parseFormat(text: string): CohortFormat {
  if (!(COHORT_FORMATS as readonly string[]).includes(text)) {
    throw new Cce4longError("VALIDATION_FAILED", `--format must be csv or parquet, got "${text}"`);
  }
  return text as CohortFormat;
}

function renderSummary(s: CohortSummary): string {
  const mib = (s.bytes / 1024 / 1024).toFixed(1);
  return [
    `wrote ${s.participants.toLocaleString("en")} participants to ${s.out} (${s.format}, ${mib} MiB)`,
    `  seed ${s.seed}, sha256 ${s.sha256}`,
    `  deaths ${s.deaths.toLocaleString("en")} (${((100 * s.deaths) / s.participants).toFixed(1)}%), ` +
      `mean age ${s.meanAgeAtBaseline.toFixed(1)}, mean follow-up ${s.meanFollowUpYears.toFixed(1)} years`,
    `  ${s.seconds.toFixed(2)} s, ${Math.round(s.rowsPerSecond).toLocaleString("en")} rows/s`,
  ].join("\n");
}
