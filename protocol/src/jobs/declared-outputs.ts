/**
 * The outputs a job declares, with structured metadata per file as ACRO does (runs anywhere).
 * The Output Gate reads these declarations to choose and parametrize its disclosure checks; an
 * output file that was not declared, or does not match its declaration, is not released.
 */
import { z } from "zod";

export const OUTPUT_KINDS = [
  "frequency_table",
  "summary_statistics",
  "regression",
  "survival_table",
  "figure",
  "model_weights",
  "free_text",
] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** A path relative to /output: safe segments only, no "." or "..", at most 4 levels. */
export const outputPathSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*){0,3}$/, {
    message: "output path must be relative to /output, made of letters, digits, '.', '_', '-' segments",
  })
  .refine((p) => !p.split("/").some((s) => s === "." || s === ".."), { message: "output path has . or .." });

/** A column of a CSV output, or a key of the objects in a JSON output. */
const columnName = z.string().min(1).max(100);

const base = {
  path: outputPathSchema,
  description: z.string().min(1).max(500),
};

/**
 * Tabular outputs are CSV with a header line, or JSON: an array of flat objects keyed by column.
 * A suppressed cell is written as `suppressionMarker` in CSV (empty by default) and null in JSON.
 */
const tabular = {
  format: z.enum(["csv", "json", "parquet"]),
  suppressionMarker: z.string().max(20).default(""),
};

export const frequencyTableSchema = z
  .object({
    kind: z.literal("frequency_table"),
    ...base,
    ...tabular,
    /** The column holding the number of participants in each cell. */
    countColumn: columnName,
    /** The columns whose combination defines a cell (e.g. sex, age_band). */
    dimensionColumns: z.array(columnName).min(1).max(10),
  })
  .strict();

export const STATISTICS = ["mean", "sd", "median", "quantile", "sum", "min", "max", "proportion"] as const;

export const summaryStatisticsSchema = z
  .object({
    kind: z.literal("summary_statistics"),
    ...base,
    ...tabular,
    /** The column holding the number of participants behind each row. */
    countColumn: columnName,
    /** Columns that define the groups (may be empty for one overall row per variable). */
    groupColumns: z.array(columnName).max(10).default([]),
    /** What each value column is; `sum` triggers the dominance (nk) rule, `min`/`max` go to review. */
    statistics: z
      .array(
        z
          .object({
            column: columnName,
            statistic: z.enum(STATISTICS),
            /** For `sum`: columns holding the cell's largest contributions, largest first (gate-only evidence for the nk and p-ratio rules). */
            largestContributionColumns: z.array(columnName).min(1).max(10).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(100),
  })
  .strict();

export const REGRESSION_MODELS = ["ols", "logistic", "poisson", "cox", "other"] as const;

export const regressionSchema = z
  .object({
    kind: z.literal("regression"),
    ...base,
    /** JSON: one object; CSV: one row per coefficient. */
    format: z.enum(["json", "csv"]),
    model: z.enum(REGRESSION_MODELS),
    /** JSON: top-level key of the residual degrees of freedom; CSV: a column holding it on every row. */
    residualDfField: columnName,
    /** JSON only: top-level key of the coefficient table (an array of flat objects). */
    coefficientsField: columnName.optional(),
    /** Where the number of observations is, like residualDfField. */
    observationsField: columnName.optional(),
  })
  .strict();

export const survivalTableSchema = z
  .object({
    kind: z.literal("survival_table"),
    ...base,
    ...tabular,
    timeColumn: columnName,
    /** The number still at risk at each time: the gate's threshold applies to it. */
    atRiskColumn: columnName,
    /** The number of events (deaths) behind each row. */
    eventsColumn: columnName,
    /** True when eventsColumn counts events since time 0 rather than in the interval. */
    eventsAreCumulative: z.boolean().default(false),
    survivalColumn: columnName.optional(),
    groupColumns: z.array(columnName).max(10).default([]),
  })
  .strict();

export const figureSchema = z
  .object({
    kind: z.literal("figure"),
    ...base,
    format: z.enum(["png", "svg", "pdf"]),
    /** Paths of declared tabular outputs this figure plots, so a reviewer can check them together. */
    sourceTables: z.array(outputPathSchema).max(20).default([]),
  })
  .strict();

export const modelWeightsSchema = z
  .object({
    kind: z.literal("model_weights"),
    ...base,
    format: z.enum(["safetensors", "npy", "npz", "onnx", "json", "bin"]),
    parameterCount: z.number().int().positive().optional(),
  })
  .strict();

export const freeTextSchema = z
  .object({
    kind: z.literal("free_text"),
    ...base,
    format: z.enum(["txt", "md", "json", "csv"]),
  })
  .strict();

export const declaredOutputSchema = z
  .discriminatedUnion("kind", [
    frequencyTableSchema,
    summaryStatisticsSchema,
    regressionSchema,
    survivalTableSchema,
    figureSchema,
    modelWeightsSchema,
    freeTextSchema,
  ])
  .superRefine((output, ctx) => {
    if (!output.path.toLowerCase().endsWith(`.${output.format}`)) {
      ctx.addIssue({ code: "custom", path: ["path"], message: `path must end in .${output.format}` });
    }
    const columns = referencedColumns(output);
    if (new Set(columns).size !== columns.length) {
      ctx.addIssue({ code: "custom", message: "a column is named twice in the declaration" });
    }
    if (output.kind === "regression" && output.format === "csv" && output.coefficientsField !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["coefficientsField"],
        message: "coefficientsField is for JSON only",
      });
    }
  });
export type DeclaredOutput = z.infer<typeof declaredOutputSchema>;

/** The columns a declaration names (for duplicate checks, and for the gate to verify they exist). */
export function referencedColumns(output: DeclaredOutput): string[] {
  switch (output.kind) {
    case "frequency_table":
      return [output.countColumn, ...output.dimensionColumns];
    case "summary_statistics":
      return [
        output.countColumn,
        ...output.groupColumns,
        ...output.statistics.flatMap((s) => [s.column, ...(s.largestContributionColumns ?? [])]),
      ];
    case "survival_table":
      return [
        output.timeColumn,
        output.atRiskColumn,
        output.eventsColumn,
        ...(output.survivalColumn === undefined ? [] : [output.survivalColumn]),
        ...output.groupColumns,
      ];
    case "regression":
      return [output.residualDfField, output.coefficientsField, output.observationsField].filter(
        (c): c is string => c !== undefined,
      );
    default:
      return [];
  }
}
