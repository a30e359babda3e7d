/**
 * The cohort as a lazy sequence of rows (runs on the user's machine): one seeded PRNG stream, one
 * row at a time, so any size fits in constant memory. Row i depends only on the seed and rows
 * before it, so a smaller cohort is a prefix of a larger one with the same seed.
 */
import { type CohortRow, simulateParticipant } from "./model";
import { Xoshiro128StarStar } from "./prng";

/** Generous but finite: keeps participant ids at 8 digits and record numbers unique. */
export const MAX_PARTICIPANTS = 99_999_999;

export interface CohortOptions {
  participants: number;
  /** Any integer; taken modulo 2^64. */
  seed: bigint;
}

export function* cohortRows(options: CohortOptions): Generator<CohortRow> {
  const rng = new Xoshiro128StarStar(options.seed);
  const mrnOffset = rng.int(0, 999_999_999);
  for (let index = 0; index < options.participants; index++) {
    yield simulateParticipant(rng, { index, mrnOffset });
  }
}
