/**
 * Writes a synthetic cohort to a CSV or Parquet file, streaming (runs on the user's machine).
 * CSV goes out in chunks with back-pressure; Parquet in row groups of 100,000 rows, so memory stays
 * bounded by one batch whatever the cohort size. Reports progress and returns a summary.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream, rmSync } from "node:fs";
import { Cce4longError } from "@cce4long/protocol";
import { fileWriter, ParquetWriter } from "hyparquet-writer";
import { CSV_HEADER, csvLine } from "./csv";
import type { CohortRow } from "./model";
import { parquetSchema, toColumnData } from "./parquet-columns";
import { type CohortOptions, cohortRows, MAX_PARTICIPANTS } from "./rows";

export const COHORT_FORMATS = ["csv", "parquet"] as const;
export type CohortFormat = (typeof COHORT_FORMATS)[number];

export interface WriteCohortOptions extends CohortOptions {
  format: CohortFormat;
  out: string;
  /** Called every `progressEvery` rows and at the end with the rows written so far. */
  onProgress?: (rowsWritten: number) => void;
  progressEvery?: number;
}

export interface CohortSummary {
  participants: number;
  seed: string;
  format: CohortFormat;
  out: string;
  bytes: number;
  sha256: string;
  deaths: number;
  meanAgeAtBaseline: number;
  meanFollowUpYears: number;
  seconds: number;
  rowsPerSecond: number;
}

const CSV_CHUNK_ROWS = 2_000;
const PARQUET_ROW_GROUP = 100_000;

/** Writes the cohort; on failure removes the partial file and throws a Cce4longError. */
export async function writeCohort(options: WriteCohortOptions): Promise<CohortSummary> {
  validate(options);
  const started = performance.now();
  const stats = { deaths: 0, ageSum: 0, followUpSum: 0 };
  const observe = (row: CohortRow) => {
    stats.deaths += row.died;
    stats.ageSum += row.age_at_baseline;
    stats.followUpSum += row.follow_up_years;
  };
  let bytes: number;
  try {
    bytes =
      options.format === "csv" ? await writeCsv(options, observe) : await writeParquet(options, observe);
  } catch (error) {
    rmSync(options.out, { force: true });
    throw new Cce4longError("INTERNAL", `could not write the cohort to ${options.out}`, {
      cause: error,
      detail: { message: error instanceof Error ? error.message : String(error) },
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const n = options.participants;
  return {
    participants: n,
    seed: options.seed.toString(),
    format: options.format,
    out: options.out,
    bytes,
    sha256: await sha256File(options.out),
    deaths: stats.deaths,
    meanAgeAtBaseline: n === 0 ? 0 : stats.ageSum / n,
    meanFollowUpYears: n === 0 ? 0 : stats.followUpSum / n,
    seconds,
    rowsPerSecond: seconds > 0 ? n / seconds : 0,
  };
}

function validate(options: WriteCohortOptions): void {
  const n = options.participants;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PARTICIPANTS) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      `participants must be an integer from 1 to ${MAX_PARTICIPANTS}, got ${String(n)}`,
    );
  }
  if (!(COHORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      `format must be csv or parquet, got ${String(options.format)}`,
    );
  }
}

async function writeCsv(options: WriteCohortOptions, observe: (row: CohortRow) => void): Promise<number> {
  const stream = createWriteStream(options.out);
  const failed = new Promise<never>((_, reject) => stream.once("error", reject));
  failed.catch(() => {}); // observed below through Promise.race
  const every = options.progressEvery ?? 50_000;
  let bytes = 0;
  let chunk = CSV_HEADER;
  let written = 0;
  const flush = async () => {
    bytes += Buffer.byteLength(chunk);
    if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), failed]);
    chunk = "";
  };
  for (const row of cohortRows(options)) {
    observe(row);
    chunk += csvLine(row);
    written++;
    if (written % CSV_CHUNK_ROWS === 0) await flush();
    if (written % every === 0) options.onProgress?.(written);
  }
  await flush();
  stream.end();
  await Promise.race([once(stream, "finish"), failed]);
  if (written % every !== 0) options.onProgress?.(written);
  return bytes;
}

async function writeParquet(options: WriteCohortOptions, observe: (row: CohortRow) => void): Promise<number> {
  const writer = fileWriter(options.out);
  const parquet = new ParquetWriter({
    writer,
    schema: parquetSchema(),
    kvMetadata: [
      { key: "cce4long.cohort", value: JSON.stringify({ seed: options.seed.toString(), version: 1 }) },
    ],
    createdBy: "cce4long cohort generator",
  });
  const every = options.progressEvery ?? 50_000;
  let batch: CohortRow[] = [];
  let written = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await parquet.write({ columnData: toColumnData(batch), rowGroupSize: PARQUET_ROW_GROUP });
    batch = [];
  };
  for (const row of cohortRows(options)) {
    observe(row);
    batch.push(row);
    written++;
    if (batch.length === PARQUET_ROW_GROUP) await flush();
    if (written % every === 0) options.onProgress?.(written);
  }
  await flush();
  await parquet.finish();
  if (written % every !== 0) options.onProgress?.(written);
  const { size } = await import("node:fs/promises").then((fs) => fs.stat(options.out));
  return size;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
