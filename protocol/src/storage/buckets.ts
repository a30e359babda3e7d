/**
 * Object-storage buckets of cce4long (runs anywhere). Everything stored is ciphertext except the
 * public algorithm records (job specs and sources, which are public by design).
 */
export const BUCKETS = {
  /** Provider uploads, HPKE-encrypted to the Privacy Plane's ingest key; deleted after ingest. */
  staging: "cce4long-staging",
  /** Dataset files in the cce4long encrypted file format under the per-dataset key. */
  datasets: "cce4long-datasets",
  /** Released results, encrypted to each consumer's result key. */
  results: "cce4long-results",
  /** Content-addressed job specs and algorithm sources (the local data-availability layer). */
  algorithms: "cce4long-algorithms",
} as const;

export const ALL_BUCKETS: readonly string[] = Object.values(BUCKETS);
