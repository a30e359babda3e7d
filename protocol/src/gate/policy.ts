/**
 * The Output Gate's disclosure policy (runs anywhere): the provider sets it per dataset through the
 * CLI or the API, and the Privacy Plane's gate applies it. Defaults are ACRO's (SACRO project).
 */
import { z } from "zod";

const MIB = 1024 * 1024;

/** What the gate does when a rule of this class fails: reject outright, or send it to a reviewer. */
export const FAILURE_ACTIONS = ["reject", "review"] as const;
export type FailureAction = (typeof FAILURE_ACTIONS)[number];

/** The classes of rules; each rule id in report.ts starts with its class. */
export const RULE_CLASSES = ["limits", "declaration", "disclosure", "leakage"] as const;
export type RuleClass = (typeof RULE_CLASSES)[number];

/** Counts (frequency cells, group sizes) must be multiples of `base`, or any integer when `none`. */
export const roundingPolicySchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }).strict(),
  z.object({ kind: z.literal("multiple_of"), base: z.number().int().min(2).max(1000) }).strict(),
]);

export const gatePolicySchema = z
  .object({
    /** ACRO `safe_threshold`: a frequency or group count below this is disclosive. */
    minCellCount: z.number().int().min(1).max(1000).default(10),
    /** ACRO `zeros_are_disclosive`: a zero cell reveals that nobody has that combination. */
    zerosDisclosive: z.boolean().default(true),
    /** ACRO `p_ratio`: (total - two largest) / largest below p means the largest is estimable. */
    pRatio: z.number().gt(0).max(1).default(0.1),
    /** ACRO `safe_nk_n` / `safe_nk_k`: the n largest contributors must make less than k of the total. */
    nkRule: z
      .object({ n: z.number().int().min(1).max(10).default(2), k: z.number().gt(0).max(1).default(0.9) })
      .strict()
      .default({ n: 2, k: 0.9 }),
    /** ACRO `safe_dof_threshold`: regressions need at least this many residual degrees of freedom. */
    minResidualDf: z.number().int().min(1).max(10_000).default(10),
    /** ACRO `survival_threshold`: numbers at risk (and events per interval) below this are disclosive. */
    survival: z
      .object({
        threshold: z.number().int().min(1).max(1000).default(10),
        /** Also apply the threshold to the events of each interval (not only the numbers at risk). */
        checkEvents: z.boolean().default(true),
      })
      .strict()
      .default({ threshold: 10, checkEvents: true }),
    rounding: roundingPolicySchema.default({ kind: "none" }),
    /** Cells the job suppressed are counted and reported; beyond this share of a table, review. */
    maxSuppressedShare: z.number().min(0).max(1).default(0.5),
    /** Raw-record leakage: flag an output with at least this many rows matching dataset rows. */
    leakage: z
      .object({
        minMatchedRows: z.number().int().min(1).max(1_000_000).default(3),
        /** Any direct-identifier value in an output fails it when true. */
        identifiers: z.boolean().default(true),
        /** Any rare quasi-identifier combination in one output row fails it when true. */
        rareCombinations: z.boolean().default(true),
      })
      .strict()
      .default({ minMatchedRows: 3, identifiers: true, rareCombinations: true }),
    limits: z
      .object({
        maxFiles: z.number().int().min(1).max(1000).default(50),
        maxFileBytes: z
          .number()
          .int()
          .min(1)
          .max(1024 * MIB)
          .default(64 * MIB),
        maxTotalBytes: z
          .number()
          .int()
          .min(1)
          .max(4096 * MIB)
          .default(256 * MIB),
      })
      .strict()
      .default({ maxFiles: 50, maxFileBytes: 64 * MIB, maxTotalBytes: 256 * MIB }),
    /** Free-text outputs can say anything: they go to a reviewer even when no rule fails. */
    freeTextNeedsReview: z.boolean().default(true),
    /** What a failed rule of each class leads to for the whole output set. */
    onFailure: z
      .object({
        limits: z.enum(FAILURE_ACTIONS).default("reject"),
        declaration: z.enum(FAILURE_ACTIONS).default("reject"),
        disclosure: z.enum(FAILURE_ACTIONS).default("review"),
        leakage: z.enum(FAILURE_ACTIONS).default("reject"),
      })
      .strict()
      .default({ limits: "reject", declaration: "reject", disclosure: "review", leakage: "reject" }),
  })
  .strict();

/** What a provider writes (every field optional). */
export type GatePolicyInput = z.input<typeof gatePolicySchema>;
/** A validated policy with every default filled in. */
export type GatePolicy = z.output<typeof gatePolicySchema>;

/** The ACRO defaults. */
export const DEFAULT_GATE_POLICY: GatePolicy = gatePolicySchema.parse({});
