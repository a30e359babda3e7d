/**
 * Parameters of a fingerprint index (runs inside the TEE). They are stored with the index, because a
 * scan must cut rows into shingles exactly as ingest did.
 */
import { z } from "zod";

/**
 * One shingle level: numbers rounded to `sig` significant digits; each row gives `bands` band tags,
 * each the set of the row's `valuesPerBand` values that rank lowest under that band's min-hash order.
 * A coarse level survives heavy rounding, so it takes more values per band to stay specific.
 */
export const shingleLevelSchema = z
  .object({
    sig: z.number().int().min(1).max(15),
    bands: z.number().int().min(1).max(32),
    valuesPerBand: z.number().int().min(2).max(12),
    /**
     * A value joins this level's shingles only if at most this share of rows hold it: common values
     * ("F", 0, a BMI of 27) say little about which row it is and would make aggregates look like rows.
     * Ingest and the scan both drop them, so they cannot hide a copied row either.
     */
    maxValueShare: z.number().gt(0).max(1),
  })
  .strict();
export type ShingleLevel = z.infer<typeof shingleLevelSchema>;

export const fingerprintParamsSchema = z
  .object({
    /** A value or quasi-identifier combination held by fewer rows than this is "rare" (k of k-anonymity). */
    rareThreshold: z.number().int().min(2).max(1000).default(10),
    /** Largest quasi-identifier combination counted (all subsets up to this size). */
    maxComboSize: z.number().int().min(1).max(6).default(5),
    /** Output cells considered per row for quasi-identifier combinations (bounds the subsets tried). */
    maxQiCandidates: z.number().int().min(1).max(12).default(6),
    /** A direct-identifier column with at most this share of rows holding a rare value joins the shingles. */
    identifierShingleMaxRareShare: z.number().min(0).max(1).default(0.5),
    levels: z
      .array(shingleLevelSchema)
      .min(1)
      .max(4)
      .default([
        { sig: 3, bands: 4, valuesPerBand: 4, maxValueShare: 0.02 },
        { sig: 2, bands: 4, valuesPerBand: 5, maxValueShare: 0.05 },
      ]),
  })
  .strict();
export type FingerprintParamsInput = z.input<typeof fingerprintParamsSchema>;
export type FingerprintParams = z.output<typeof fingerprintParamsSchema>;
