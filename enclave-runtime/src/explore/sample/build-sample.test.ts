/**
 * Tests of the Explore sampler (runs in Node under vitest) over synthetic cohorts from the CLI's
 * deterministic generator: k-anonymity for random cohorts and policies, no identifier value surviving,
 * determinism, noise, and refusal of bad policies.
 */
import { cohortRows } from "@cce4long/cli/cohort/rows";
import {
  type DatasetSchema,
  type ExploreSamplePolicyInput,
  isCce4longError,
  LONGEVITY_COHORT_SCHEMA,
} from "@cce4long/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildExploreSample, type ExploreSample } from "./build-sample";
import { ANY, OTHER } from "./generalizers";

const SECRET = new Uint8Array(32).map((_, i) => 200 - i);
const rowsOf = (participants: number, seed = 7n) => [...cohortRows({ participants, seed })];

/** The cohort with the postcode district kept as a truncated quasi-identifier instead of suppressed. */
const WITH_DISTRICT: DatasetSchema = {
  ...LONGEVITY_COHORT_SCHEMA,
  columns: LONGEVITY_COHORT_SCHEMA.columns.map((c) =>
    c.name === "postcode_district" ? { ...c, generalization: { kind: "truncate" as const, length: 3 } } : c,
  ),
};

function qiClassSizes(sample: ExploreSample, schema: DatasetSchema): number[] {
  const qis = schema.columns
    .filter((c) => c.role === "quasi_identifier" && sample.columns.includes(c.name))
    .map((c) => c.name);
  const counts = new Map<string, number>();
  for (const row of sample.rows) {
    const key = JSON.stringify(qis.map((q) => row[q]));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.values()];
}

const policyArbitrary: fc.Arbitrary<ExploreSamplePolicyInput> = fc.record({
  k: fc.integer({ min: 2, max: 25 }),
  sample: fc.oneof(
    fc.record({
      kind: fc.constant("fraction" as const),
      fraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    }),
    fc.record({ kind: fc.constant("rows" as const), rows: fc.integer({ min: 1, max: 400 }) }),
  ),
  ageBandWidth: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  rareCategoryThreshold: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
  locationPrefixLength: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  maxSuppressedShare: fc.double({ min: 0, max: 0.5, noNaN: true }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describe("buildExploreSample", () => {
  it("leaves no quasi-identifier combination with fewer than k rows, for random cohorts and policies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 500 }),
        fc.bigInt({ min: 0n, max: 2n ** 32n }),
        policyArbitrary,
        fc.constantFrom(LONGEVITY_COHORT_SCHEMA as DatasetSchema, WITH_DISTRICT),
        async (participants, seed, policy, schema) => {
          const sample = await buildExploreSample(rowsOf(participants, seed), schema, policy, {
            secret: SECRET,
          });
          const sizes = qiClassSizes(sample, schema);
          const k = policy.k ?? 5;
          for (const size of sizes) expect(size).toBeGreaterThanOrEqual(k);
          const { report } = sample;
          expect(report.rows).toBe(sample.rows.length);
          expect(report.rows).toBe(report.sampledRows - report.suppressedRows);
          expect(report.kAchieved).toBe(sizes.length === 0 ? null : Math.min(...sizes));
          if (report.kAchieved !== null) expect(report.kAchieved).toBeGreaterThanOrEqual(k);
          expect(report.equivalenceClasses).toBe(sizes.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("lets no value of a direct identifier or the record key survive in any cell", async () => {
    const source = rowsOf(2000);
    const identifierColumns = WITH_DISTRICT.columns
      .filter((c) => c.role === "direct_identifier" || c.role === "record_key")
      .map((c) => c.name);
    const identifierValues = new Set(
      source.flatMap((row) => identifierColumns.map((c) => String(row[c as keyof typeof row]))),
    );
    const sample = await buildExploreSample(
      source,
      WITH_DISTRICT,
      { k: 3, sample: { kind: "fraction", fraction: 0.5 } },
      {
        secret: SECRET,
      },
    );
    expect(sample.rows.length).toBeGreaterThan(500);
    for (const column of identifierColumns.filter((c) => c !== "participant_id")) {
      expect(sample.columns).not.toContain(column);
    }
    let cells = 0;
    for (const row of sample.rows) {
      for (const value of Object.values(row)) {
        cells++;
        expect(identifierValues.has(value)).toBe(false);
      }
    }
    expect(cells).toBe(sample.rows.length * sample.columns.length);
  });

  it("replaces the record key with a sample-local pseudonym and says what it did per column", async () => {
    const sample = await buildExploreSample(rowsOf(300), LONGEVITY_COHORT_SCHEMA, {}, { secret: SECRET });
    expect(sample.rows.map((r) => r.participant_id)).toEqual(
      sample.rows.map((_, i) => `S${String(i + 1).padStart(String(sample.rows.length).length, "0")}`),
    );
    const byColumn = Object.fromEntries(sample.report.columns.map((c) => [c.column, c.action]));
    expect(byColumn).toMatchObject({
      participant_id: "replaced",
      full_name: "dropped",
      medical_record_number: "dropped",
      date_of_birth: "dropped",
      postcode: "dropped",
      postcode_district: "dropped",
      age_at_baseline: "generalized",
      crp_mg_l: "kept",
    });
    expect(sample.columns).not.toContain("postcode_district");
    for (const row of sample.rows) expect(row.age_at_baseline).toMatch(/^(\d+-\d+|\*)$/);
  });

  it("is deterministic for a secret and seed, and changes with either", async () => {
    const policy = { k: 4, seed: 42, sample: { kind: "rows" as const, rows: 150 } };
    const a = await buildExploreSample(rowsOf(1000), LONGEVITY_COHORT_SCHEMA, policy, { secret: SECRET });
    const b = await buildExploreSample(rowsOf(1000), LONGEVITY_COHORT_SCHEMA, policy, { secret: SECRET });
    expect(b).toEqual(a);
    const otherSeed = await buildExploreSample(
      rowsOf(1000),
      LONGEVITY_COHORT_SCHEMA,
      { ...policy, seed: 43 },
      {
        secret: SECRET,
      },
    );
    expect(otherSeed.rows).not.toEqual(a.rows);
    const otherSecret = await buildExploreSample(rowsOf(1000), LONGEVITY_COHORT_SCHEMA, policy, {
      secret: new Uint8Array(32),
    });
    expect(otherSecret.rows).not.toEqual(a.rows);
  });

  it("reads an async row stream of CSV strings like an array of typed rows", async () => {
    const source = rowsOf(400);
    const asStrings = source.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])),
    );
    async function* stream() {
      for (const row of asStrings) yield row;
    }
    const policy = { k: 3, seed: 5 };
    const fromArray = await buildExploreSample(source, LONGEVITY_COHORT_SCHEMA, policy, { secret: SECRET });
    const fromStream = await buildExploreSample(stream(), LONGEVITY_COHORT_SCHEMA, policy, {
      secret: SECRET,
    });
    expect(fromStream.rows).toEqual(fromArray.rows);
  });

  it("coarsens further instead of suppressing more than the policy allows, and reports it", async () => {
    const policy = {
      k: 20,
      maxSuppressedShare: 0,
      ageBandWidth: 1,
      sample: { kind: "rows" as const, rows: 200 },
    };
    const sample = await buildExploreSample(rowsOf(1000), LONGEVITY_COHORT_SCHEMA, policy, {
      secret: SECRET,
    });
    expect(sample.report.suppressedRows).toBe(0);
    expect(sample.report.extraGeneralizationSteps).toBeGreaterThan(0);
    expect(sample.report.kAchieved).toBeGreaterThanOrEqual(20);
  });

  it("suppresses every row when the whole sample is smaller than k", async () => {
    const sample = await buildExploreSample(
      rowsOf(6),
      LONGEVITY_COHORT_SCHEMA,
      { k: 10, sample: { kind: "fraction", fraction: 1 } },
      {
        secret: SECRET,
      },
    );
    expect(sample.rows).toEqual([]);
    expect(sample.report).toMatchObject({ sampledRows: 6, suppressedRows: 6, kAchieved: null });
  });

  it("merges rare categories into Other and cuts truncated locations", async () => {
    const sample = await buildExploreSample(
      rowsOf(800),
      WITH_DISTRICT,
      { k: 2, rareCategoryThreshold: 50, locationPrefixLength: 1, sample: { kind: "fraction", fraction: 1 } },
      { secret: SECRET },
    );
    const ethnicities = new Set(sample.rows.map((r) => r.ethnicity));
    expect(ethnicities.has(OTHER) || ethnicities.has(ANY)).toBe(true);
    for (const row of sample.rows) expect(row.postcode_district!.length).toBeLessThanOrEqual(1);
  });

  it("adds Laplace noise within the column's range and precision", async () => {
    const source = rowsOf(500);
    const policy = { k: 2, seed: 3, sample: { kind: "fraction" as const, fraction: 1 } };
    const plain = await buildExploreSample(source, LONGEVITY_COHORT_SCHEMA, policy, { secret: SECRET });
    const noisy = await buildExploreSample(
      source,
      LONGEVITY_COHORT_SCHEMA,
      { ...policy, noise: [{ column: "crp_mg_l", kind: "laplace", scale: 2 }] },
      { secret: SECRET },
    );
    expect(noisy.rows.map((r) => r.bmi)).toEqual(plain.rows.map((r) => r.bmi));
    const changed = noisy.rows.filter((r, i) => r.crp_mg_l !== plain.rows[i]!.crp_mg_l).length;
    expect(changed).toBeGreaterThan(noisy.rows.length / 2);
    for (const row of noisy.rows) {
      const v = Number(row.crp_mg_l);
      expect(v).toBeGreaterThanOrEqual(0.1);
      expect(v).toBeLessThanOrEqual(100);
      expect(row.crp_mg_l).toMatch(/^\d+\.\d{2}$/);
    }
    expect(noisy.report.columns.find((c) => c.column === "crp_mg_l")?.action).toBe("noised");
  });

  it("generalizes date quasi-identifiers to month or year", async () => {
    const schema: DatasetSchema = {
      name: "dates",
      version: 1,
      columns: [
        {
          name: "visit",
          type: "date",
          role: "quasi_identifier",
          description: "d",
          generalization: { kind: "keep" },
        },
        { name: "value", type: "number", role: "attribute", description: "v" },
      ],
    };
    const rows = Array.from({ length: 40 }, (_, i) => ({
      visit: `2020-0${1 + (i % 2)}-1${i % 10}`,
      value: i,
    }));
    const full = { k: 2, sample: { kind: "fraction" as const, fraction: 1 } };
    const byMonth = await buildExploreSample(
      rows,
      schema,
      { ...full, dateGranularity: "month" },
      { secret: SECRET },
    );
    expect(new Set(byMonth.rows.map((r) => r.visit))).toEqual(new Set(["2020-01", "2020-02"]));
    const byYear = await buildExploreSample(rows, schema, full, { secret: SECRET });
    expect(new Set(byYear.rows.map((r) => r.visit))).toEqual(new Set(["2020"]));
  });

  it.each([
    ["k below 2", { k: 1 }],
    ["a fraction above 1", { sample: { kind: "fraction", fraction: 1.5 } }],
    ["noise on a quasi-identifier", { noise: [{ column: "age_at_baseline", kind: "laplace", scale: 1 }] }],
    ["noise on an identifier", { noise: [{ column: "full_name", kind: "laplace", scale: 1 }] }],
    ["a band width for a kept column", { bandWidths: { sex: 2 } }],
    ["an unknown field", { kk: 3 }],
  ])("refuses a policy with %s", async (_name, policy) => {
    const error = await buildExploreSample(
      rowsOf(10),
      LONGEVITY_COHORT_SCHEMA,
      policy as ExploreSamplePolicyInput,
      {
        secret: SECRET,
      },
    ).catch((e: unknown) => e);
    expect(isCce4longError(error) && error.code).toBe("VALIDATION_FAILED");
  });
});
