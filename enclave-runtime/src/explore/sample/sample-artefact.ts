/**
 * The Explore sample as ingest stores it (runs inside the TEE): the sample as CSV and its report as
 * JSON, two plaintexts that ingest seals under the dataset key like any dataset file and lists in the
 * version manifest (kind "explore-sample", paths EXPLORE_SAMPLE_PATH and EXPLORE_SAMPLE_REPORT_PATH).
 */
import type { DatasetSchema, ExploreSamplePolicyInput, ExploreSampleReport } from "@cce4long/protocol";
import { buildExploreSample, type SourceRow } from "./build-sample";

export interface ExploreSampleArtefacts {
  /** RFC 4180 CSV, header first, LF line ends. */
  csv: Uint8Array;
  /** The report as canonical-enough JSON (stable key order from the builder). */
  reportJson: Uint8Array;
  report: ExploreSampleReport;
}

export async function buildExploreSampleArtefacts(
  rows: Iterable<SourceRow> | AsyncIterable<SourceRow>,
  schema: DatasetSchema,
  policy: ExploreSamplePolicyInput,
  secret: Uint8Array,
): Promise<ExploreSampleArtefacts> {
  const sample = await buildExploreSample(rows, schema, policy, { secret });
  const lines = [sample.columns.map(csvField).join(",")];
  for (const row of sample.rows) lines.push(sample.columns.map((c) => csvField(row[c] ?? "")).join(","));
  const encoder = new TextEncoder();
  return {
    csv: encoder.encode(`${lines.join("\n")}\n`),
    reportJson: encoder.encode(`${JSON.stringify(sample.report, null, 2)}\n`),
    report: sample.report,
  };
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
