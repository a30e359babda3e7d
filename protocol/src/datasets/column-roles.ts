/**
 * Column roles of a tabular dataset (runs anywhere): which columns identify a person directly, which
 * can identify in combination, and how Explore Mode may generalize them. Read by the Explore Mode
 * sampler (drop direct identifiers, generalize quasi-identifiers) and by the Output Gate (look for
 * identifier values and rare quasi-identifier combinations in outputs).
 */
import { z } from "zod";

/**
 * - `record_key`: a study pseudonym (one per row). Not identifying by itself, but links rows across
 *   releases, so Explore Mode replaces it and the gate treats its values like identifiers.
 * - `direct_identifier`: identifies a person alone (name, record number, full date of birth, full postcode).
 * - `quasi_identifier`: identifies in combination (sex, age, ethnicity, area).
 * - `attribute`: the measurements and outcomes the research is about (sensitive, not identifying alone).
 */
export const COLUMN_ROLES = ["record_key", "direct_identifier", "quasi_identifier", "attribute"] as const;
export type ColumnRole = (typeof COLUMN_ROLES)[number];

export const COLUMN_TYPES = ["string", "integer", "number", "date", "category", "boolean"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** How Explore Mode coarsens a quasi-identifier in its desensitized sample. */
export const generalizationSchema = z.discriminatedUnion("kind", [
  /** Numbers into bands of `width` starting at a multiple of `width` ("60-64"). */
  z.object({ kind: z.literal("numeric_band"), width: z.number().int().positive() }),
  /** Strings cut to their first `length` characters (a postcode district to its area). */
  z.object({ kind: z.literal("truncate"), length: z.number().int().positive() }),
  /** Categories with fewer than `minCount` sample rows merged into "Other". */
  z.object({ kind: z.literal("merge_rare"), minCount: z.number().int().positive() }),
  /** Left out of the sample entirely (too fine to generalize usefully, e.g. a postcode district). */
  z.object({ kind: z.literal("suppress") }),
  /** Kept as is (already coarse, e.g. sex). */
  z.object({ kind: z.literal("keep") }),
]);
export type Generalization = z.infer<typeof generalizationSchema>;

export const columnDescriptorSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, "column names are lower snake_case"),
    type: z.enum(COLUMN_TYPES),
    role: z.enum(COLUMN_ROLES),
    description: z.string().min(1),
    unit: z.string().min(1).optional(),
    /** The allowed values of a `category` or `boolean` column, in a stable order. */
    categories: z.array(z.string()).min(1).optional(),
    /** Plausible range of a numeric column (inclusive). */
    min: z.number().optional(),
    max: z.number().optional(),
    /** Required for quasi-identifiers: how Explore Mode coarsens them. */
    generalization: generalizationSchema.optional(),
  })
  .strict()
  .refine((c) => c.role !== "quasi_identifier" || c.generalization !== undefined, {
    message: "a quasi_identifier needs a generalization",
  })
  .refine((c) => c.type !== "category" || (c.categories?.length ?? 0) > 0, {
    message: "a category column lists its categories",
  });
export type ColumnDescriptor = z.infer<typeof columnDescriptorSchema>;

export const datasetSchemaSchema = z
  .object({
    name: z.string().min(1),
    version: z.number().int().positive(),
    columns: z.array(columnDescriptorSchema).min(1),
  })
  .strict()
  .refine((s) => new Set(s.columns.map((c) => c.name)).size === s.columns.length, {
    message: "column names must be unique",
  });
export type DatasetSchema = z.infer<typeof datasetSchemaSchema>;

/** The names of the columns with one of the given roles, in dataset order. */
export function columnsWithRole(schema: DatasetSchema, ...roles: ColumnRole[]): string[] {
  return schema.columns.filter((c) => roles.includes(c.role)).map((c) => c.name);
}
