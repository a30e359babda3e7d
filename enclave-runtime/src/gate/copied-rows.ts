/**
 * The copied-rows rule of the leakage check (runs inside the TEE): when do rows of an output that
 * share row shingles (band tags) with dataset rows mean the job copied dataset rows?
 *
 * A band tag is the fold of 4 or 5 uncommon values of a row, so an unrelated row meets one by
 * chance now and then, and the more rows the index holds the more often. Measured against a
 * 1,000,000-row index of the synthetic cohort (rows of another cohort from the same generator,
 * attribute columns only, 10 MB of CSV):
 *
 * | output                                   | rows    | >= 1 band hit  | >= 2 band hits |
 * | ---------------------------------------- | ------- | -------------- | -------------- |
 * | clean rows (another cohort)              | 138,603 | 76 (0.055%)    | 0              |
 * | clean rows rounded to 1 decimal          | 146,733 | 85 (0.058%)    | 0              |
 * | copied rows (de-identified)              | 138,610 | 90,037 (65%)   | 34,318 (25%)   |
 * | copied rows rounded to 1 decimal         | 146,742 | 22,639 (15%)   | 2,362 (1.6%)   |
 *
 * So "at least minMatchedRows rows with one hit" (the old rule) rejects every large clean output,
 * while chance never gave a row two hits. The rule: reject when at least minMatchedRows rows have
 * two or more hits (strong evidence at any output size), or when rows with any hit reach both
 * minMatchedRows and 1% of the output's rows. 1% is 18 times the chance rate measured at 1M rows
 * (chance grows about linearly with index rows, so it holds to roughly 10M rows) and 15 times
 * below the weakest copy measured (rounded rows). The cost, said plainly: a few copied rows hidden
 * among many clean ones are caught only through the strong rule, i.e. from about 12 verbatim
 * copies (25% of them hit twice) rather than from 3.
 */
import type { LeakageScan } from "./fingerprints/scan";

/** Share of an output's rows allowed one band hit by chance (see the table above). */
export const CHANCE_MATCH_SHARE = 0.01;

export function copiedRowsFound(found: LeakageScan, minMatchedRows: number): boolean {
  if (found.strongMatchedRows >= minMatchedRows) return true;
  const allowance = Math.max(minMatchedRows, Math.ceil(found.rows * CHANCE_MATCH_SHARE));
  return found.matchedRows.count >= allowance;
}
