/**
 * The benchmark interface of `npm run bench` (runs on the developer's machine or in CI).
 * Every measurement carries a reference measured in the same run, because these machines are noisy:
 * the ratio to the reference is what stays comparable between runs.
 */

/** A goal on either the raw value or the ratio to the reference. */
export interface Goal {
  /** What the goal constrains. */
  on: "value" | "ratio";
  op: ">=" | "<=";
  target: number;
  /** Human text, e.g. "at least 60% of openssl". */
  text: string;
}

export interface Measurement {
  /** Stable name, e.g. "file-format.encrypt.64KiB". */
  name: string;
  value: number;
  unit: string;
  reference: { name: string; value: number; unit: string };
  goal?: Goal;
  /** Extra facts to show (e.g. peak RSS, iterations). */
  notes?: string;
}

export interface Benchmark {
  /** Selects this benchmark: `npm run bench -- NAME`. */
  name: string;
  description: string;
  run(): Promise<Measurement[]>;
}
