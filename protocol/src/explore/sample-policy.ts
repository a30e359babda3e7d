/**
 * The Explore Mode sample policy and the sample's report (runs anywhere): the provider sets the policy
 * per dataset and can read it back; the Privacy Plane builds each version's desensitized sample by it at
 * ingest and records the report (what was done, the k achieved) beside the sample in the version manifest.
 * Spec: docs/explore-mode.md.
 */
import { z } from "zod";

export const EXPLORE_SAMPLE_REPORT_FORMAT = "cce4long/explore-sample-report/v1";
/** Where ingest stores the sample and its report in the version manifest (kind "explore-sample"). */
export const EXPLORE_SAMPLE_PATH = ".cce4long/explore-sample.csv";
export const EXPLORE_SAMPLE_REPORT_PATH = ".cce4long/explore-sample-report.json";

const columnName = z.string().regex(/^[a-z][a-z0-9_]*$/, "column names are lower snake_case");

/** How many rows go into the sample: a share of the source (Bernoulli per row) or a fixed number. */
export const sampleSizeSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("fraction"), fraction: z.number().gt(0).max(1) }),
  z.strictObject({ kind: z.literal("rows"), rows: z.number().int().min(1).max(10_000_000) }),
]);
export type SampleSize = z.infer<typeof sampleSizeSchema>;

/** Noise added to one numeric attribute column. Laplace(0, scale), rounded back to the column's precision. */
export const numericNoiseSchema = z.strictObject({
  column: columnName,
  kind: z.literal("laplace"),
  scale: z.number().gt(0).max(1e9),
});
export type NumericNoise = z.infer<typeof numericNoiseSchema>;

export const exploreSamplePolicySchema = z
  .strictObject({
    /** Every combination of quasi-identifier values in the sample is shared by at least k rows. */
    k: z.number().int().min(2).max(1000).default(5),
    sample: sampleSizeSchema.default({ kind: "fraction", fraction: 0.1 }),
    /** Width of age bands: overrides the dictionary's width for numeric_band quasi-identifiers in years. */
    ageBandWidth: z.number().int().min(1).max(50).optional(),
    /** Band width per numeric_band quasi-identifier column (overrides the dictionary and ageBandWidth). */
    bandWidths: z.record(columnName, z.number().positive().max(1e9)).default({}),
    /** Date quasi-identifiers are cut to their year or their month. */
    dateGranularity: z.enum(["year", "month"]).default("year"),
    /** merge_rare quasi-identifiers: categories with fewer sample rows than this become "Other". */
    rareCategoryThreshold: z.number().int().min(1).max(100_000).optional(),
    /** truncate quasi-identifiers (postcodes, locations): characters kept; overrides the dictionary. */
    locationPrefixLength: z.number().int().min(0).max(64).optional(),
    /**
     * Rows whose quasi-identifier combination stays under k are suppressed, up to this share of the
     * sample; beyond it the quasi-identifiers are generalized further first.
     */
    maxSuppressedShare: z.number().min(0).max(1).default(0.05),
    noise: z.array(numericNoiseSchema).max(100).default([]),
    /** Makes the sample reproducible (row choice, order, noise) for the Privacy Plane, which mixes in a secret. */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  })
  .refine((p) => new Set(p.noise.map((n) => n.column)).size === p.noise.length, {
    message: "a column has noise twice",
    path: ["noise"],
  });
export type ExploreSamplePolicyInput = z.input<typeof exploreSamplePolicySchema>;
export type ExploreSamplePolicy = z.output<typeof exploreSamplePolicySchema>;

/** What happened to one source column. */
export const COLUMN_ACTIONS = ["dropped", "replaced", "generalized", "kept", "noised"] as const;

export const sampleColumnReportSchema = z.strictObject({
  column: columnName,
  role: z.enum(["record_key", "direct_identifier", "quasi_identifier", "attribute"]),
  action: z.enum(COLUMN_ACTIONS),
  /** For generalized columns: the final generalization (after any further coarsening for k). */
  detail: z.string().max(200).optional(),
});
export type SampleColumnReport = z.infer<typeof sampleColumnReportSchema>;

export const exploreSampleReportSchema = z.strictObject({
  format: z.literal(EXPLORE_SAMPLE_REPORT_FORMAT),
  policy: exploreSamplePolicySchema,
  sourceRows: z.number().int().min(0),
  /** Rows drawn by the sampling step, before suppression. */
  sampledRows: z.number().int().min(0),
  /** Rows removed because their combination stayed under k. */
  suppressedRows: z.number().int().min(0),
  rows: z.number().int().min(0),
  kRequired: z.number().int().min(2),
  /** The smallest equivalence class in the sample; null when the sample is empty. */
  kAchieved: z.number().int().min(1).nullable(),
  equivalenceClasses: z.number().int().min(0),
  /** How many times the quasi-identifiers had to be coarsened beyond the policy to reach k. */
  extraGeneralizationSteps: z.number().int().min(0),
  columns: z.array(sampleColumnReportSchema),
  /** The sample's columns, in order. */
  outputColumns: z.array(columnName),
});
export type ExploreSampleReport = z.infer<typeof exploreSampleReportSchema>;
