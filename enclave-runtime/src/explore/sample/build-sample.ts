/**
 * Builds a dataset version's desensitized Explore sample (runs inside the TEE, at ingest): direct
 * identifiers dropped as rows are read, the record key replaced, rows sampled, quasi-identifiers
 * generalized and coarsened further until every combination has at least k rows (the rest suppressed),
 * optional Laplace noise on numeric attributes. Deterministic for a given secret and policy seed.
 */
import {
  Cce4longError,
  type ColumnDescriptor,
  type DatasetSchema,
  EXPLORE_SAMPLE_REPORT_FORMAT,
  type ExploreSamplePolicy,
  type ExploreSamplePolicyInput,
  type ExploreSampleReport,
  exploreSamplePolicySchema,
  type SampleColumnReport,
} from "@cce4long/protocol";
import { checkPolicyColumns, type Generalizer, generalizerFor } from "./generalizers";
import { KeyedRandom } from "./keyed-random";

/** A source row keyed by column name; values as parsed (CSV strings) or typed (numbers). */
export type SourceRow = Readonly<Record<string, unknown>>;

export interface ExploreSample {
  columns: string[];
  /** Every value a string ("" for missing), keyed by the sample's column names. */
  rows: Record<string, string>[];
  report: ExploreSampleReport;
}

export interface BuildExploreSampleOptions {
  /** 32 secret bytes (the dataset key): keys the row choice, order and noise. Never stored. */
  secret: Uint8Array;
}

/** The record key's replacement: a sample-local pseudonym, S and the row's position. */
const SAMPLE_KEY_PREFIX = "S";

/** A sampled row: only quasi-identifier and attribute values survive reading (identifiers never do). */
type Kept = string[];

export async function buildExploreSample(
  source: Iterable<SourceRow> | AsyncIterable<SourceRow>,
  schema: DatasetSchema,
  policyInput: ExploreSamplePolicyInput | ExploreSamplePolicy,
  options: BuildExploreSampleOptions,
): Promise<ExploreSample> {
  const parsed = exploreSamplePolicySchema.safeParse(policyInput);
  if (!parsed.success) {
    throw new Cce4longError("VALIDATION_FAILED", "Explore sample policy is invalid", {
      detail: { issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
    });
  }
  const policy = parsed.data;
  checkPolicyColumns(schema.columns, policy);
  const recordKey = schema.columns.find((c) => c.role === "record_key");
  const qis = schema.columns
    .filter((c) => c.role === "quasi_identifier")
    .map((c) => ({ column: c, generalizer: generalizerFor(c, policy) }))
    .filter((q): q is { column: ColumnDescriptor; generalizer: Generalizer } => q.generalizer !== null);
  const attributes = schema.columns.filter((c) => c.role === "attribute");
  const keptColumns = [...qis.map((q) => q.column), ...attributes];

  // 1. Sample while reading: identifiers never leave this loop.
  const random = new KeyedRandom(options.secret, "sample", policy.seed);
  const sampled: Kept[] = [];
  let sourceRows = 0;
  for await (const row of source as AsyncIterable<SourceRow>) {
    const index = sourceRows++;
    if (policy.sample.kind === "fraction") {
      if (random.float() < policy.sample.fraction) sampled.push(keep(row, keptColumns));
    } else if (sampled.length < policy.sample.rows) {
      sampled.push(keep(row, keptColumns));
    } else {
      // Reservoir sampling (Algorithm R): every row ends up in the sample with equal probability.
      const j = random.below(index + 1);
      if (j < policy.sample.rows) sampled[j] = keep(row, keptColumns);
    }
  }
  shuffle(sampled, random);

  // 2. Generalize, coarsening further until few enough rows stay under k.
  qis.forEach((q, i) => {
    q.generalizer.prepare(sampled.map((r) => r[i]!));
  });
  let steps = 0;
  let small = smallRows(sampled, qis, policy.k);
  const budget = Math.floor(policy.maxSuppressedShare * sampled.length);
  while (small.length > budget) {
    const next = coarsestCandidate(sampled, qis);
    if (next === undefined) break;
    steps++;
    small = smallRows(sampled, qis, policy.k);
  }
  const suppressed = new Set(small);
  const survivors = sampled.filter((_, i) => !suppressed.has(i));

  // 3. Noise and output.
  const noise = new KeyedRandom(options.secret, "noise", policy.seed);
  const noiseByColumn = new Map(policy.noise.map((n) => [n.column, n]));
  const columns = [...(recordKey ? [recordKey.name] : []), ...keptColumns.map((c) => c.name)];
  const width = String(Math.max(survivors.length, 1)).length;
  // Noise is rounded to the column's precision as the sample shows it (the most decimals seen).
  const decimals = new Map(
    attributes.flatMap((c, a) =>
      noiseByColumn.has(c.name)
        ? [
            [
              c.name,
              Math.max(0, ...survivors.map((k) => k[qis.length + a]!.split(".")[1]?.length ?? 0)),
            ] as const,
          ]
        : [],
    ),
  );
  const rows = survivors.map((kept, r) => {
    const out: Record<string, string> = {};
    if (recordKey) out[recordKey.name] = `${SAMPLE_KEY_PREFIX}${String(r + 1).padStart(width, "0")}`;
    qis.forEach((q, i) => {
      out[q.column.name] = q.generalizer.apply(kept[i]!);
    });
    attributes.forEach((c, a) => {
      const value = kept[qis.length + a]!;
      const n = noiseByColumn.get(c.name);
      out[c.name] =
        n === undefined ? value : addNoise(value, c, decimals.get(c.name) ?? 0, noise.laplace(n.scale));
    });
    return out;
  });

  const sizes = [...countClasses(survivors, qis).values()];
  const report: ExploreSampleReport = {
    format: EXPLORE_SAMPLE_REPORT_FORMAT,
    policy,
    sourceRows,
    sampledRows: sampled.length,
    suppressedRows: suppressed.size,
    rows: rows.length,
    kRequired: policy.k,
    kAchieved: sizes.length === 0 ? null : Math.min(...sizes),
    equivalenceClasses: sizes.length,
    extraGeneralizationSteps: steps,
    columns: schema.columns.map((c) => columnReport(c, qis, noiseByColumn)),
    outputColumns: columns,
  };
  return { columns, rows, report };
}

function keep(row: SourceRow, columns: readonly ColumnDescriptor[]): Kept {
  return columns.map((c) => cell(row[c.name]));
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
    return String(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value);
}

function shuffle<T>(items: T[], random: KeyedRandom): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

type Qi = { column: ColumnDescriptor; generalizer: Generalizer };

function classKey(row: Kept, qis: readonly Qi[]): string {
  return JSON.stringify(qis.map((q, i) => q.generalizer.apply(row[i]!)));
}

function countClasses(rows: readonly Kept[], qis: readonly Qi[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = classKey(row, qis);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Indices of the rows whose combination has fewer than k rows. */
function smallRows(rows: readonly Kept[], qis: readonly Qi[], k: number): number[] {
  const keys = rows.map((row) => classKey(row, qis));
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return keys.flatMap((key, i) => ((counts.get(key) ?? 0) < k ? [i] : []));
}

/**
 * Coarsens the quasi-identifier with the most distinct generalized values (Datafly's heuristic):
 * the one that splits the rows most. Returns its name, or undefined when every one is already "*".
 */
function coarsestCandidate(rows: readonly Kept[], qis: readonly Qi[]): string | undefined {
  const order = qis
    .map((q, i) => ({ q, distinct: new Set(rows.map((r) => q.generalizer.apply(r[i]!))).size }))
    .sort((a, b) => b.distinct - a.distinct);
  for (const { q } of order) if (q.generalizer.coarsen()) return q.column.name;
  return undefined;
}

function addNoise(value: string, column: ColumnDescriptor, shown: number, delta: number): string {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) return value;
  const decimals = column.type === "integer" ? 0 : shown;
  let noisy = n + delta;
  if (column.min !== undefined) noisy = Math.max(column.min, noisy);
  if (column.max !== undefined) noisy = Math.min(column.max, noisy);
  return noisy.toFixed(decimals);
}

function columnReport(
  c: ColumnDescriptor,
  qis: readonly Qi[],
  noise: ReadonlyMap<string, unknown>,
): SampleColumnReport {
  const base = { column: c.name, role: c.role };
  switch (c.role) {
    case "direct_identifier":
      return { ...base, action: "dropped" };
    case "record_key":
      return { ...base, action: "replaced", detail: "sample-local pseudonym" };
    case "quasi_identifier": {
      const q = qis.find((x) => x.column.name === c.name);
      return q === undefined
        ? { ...base, action: "dropped", detail: "suppressed by the dictionary" }
        : { ...base, action: "generalized", detail: q.generalizer.describe() };
    }
    case "attribute":
      return noise.has(c.name)
        ? { ...base, action: "noised", detail: "Laplace" }
        : { ...base, action: "kept" };
  }
}
