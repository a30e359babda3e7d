/**
 * Synthetic direct identifiers for the cohort generator (runs on the user's machine): names,
 * record numbers and postcodes that look real but belong to nobody. Postcode areas are real UK
 * areas grouped by region so that postcode, district and region agree.
 */
import type { REGIONS } from "@cce4long/protocol/datasets/longevity-cohort";
import type { Xoshiro128StarStar } from "./prng";

const FEMALE_GIVEN = (
  "Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Isabella Sophie Ivy Freya Harper " +
  "Willow Charlotte Jessica Margaret Susan Patricia Linda Elizabeth Barbara Helen Janet Ruth Anne Aisha " +
  "Priya Fatima Amara Zainab Mei Nadia Chloe Rachel Joanne"
).split(" ");

const MALE_GIVEN = (
  "Oliver George Noah Arthur Harry Leo Muhammad Jack Charlie Oscar Jacob Henry Thomas Freddie Alfie " +
  "Theo William Theodore Archie Joshua David John Michael Peter Robert Paul Richard Stephen Andrew Mark " +
  "Imran Rajesh Kwame Chinedu Wei Tariq Daniel James Gareth Ewan"
).split(" ");

const SURNAMES = (
  "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson " +
  "Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin " +
  "Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson " +
  "Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell " +
  "Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson " +
  "Foster Chapman Powell Webb Rogers Gray Mason Ali Hussain Campbell Matthews Owen Palmer Holmes Mills " +
  "Barnes Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Okafor"
).split(" ");

/** Real UK postcode areas per region (the letters before the district number). */
const AREAS_BY_REGION: Record<(typeof REGIONS)[number], readonly string[]> = {
  London: ["E", "N", "SE", "SW", "W", "NW"],
  "South East": ["BN", "GU", "OX", "RG", "ME"],
  "South West": ["BS", "EX", "PL", "BA"],
  "East of England": ["CB", "NR", "CO"],
  "West Midlands": ["B", "CV", "WV"],
  "East Midlands": ["NG", "LE", "DE"],
  "Yorkshire and the Humber": ["LS", "S", "BD", "YO", "HU"],
  "North West": ["M", "L", "PR", "CH"],
  "North East": ["NE", "SR", "DH"],
  Scotland: ["EH", "G", "AB"],
  Wales: ["CF", "SA", "LL"],
};

/** Letters used in the inward unit of UK postcodes (C, I, K, M, O, V are never used there). */
const UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ";

export function fullName(rng: Xoshiro128StarStar, sex: "F" | "M"): string {
  const given = sex === "F" ? FEMALE_GIVEN : MALE_GIVEN;
  return `${given[rng.int(0, given.length - 1)]} ${SURNAMES[rng.int(0, SURNAMES.length - 1)]}`;
}

export interface Address {
  postcode: string;
  district: string;
}

export function address(rng: Xoshiro128StarStar, region: (typeof REGIONS)[number]): Address {
  const areas = AREAS_BY_REGION[region];
  const district = `${areas[rng.int(0, areas.length - 1)]}${rng.int(1, 20)}`;
  const unit = `${UNIT_LETTERS[rng.int(0, 19)]}${UNIT_LETTERS[rng.int(0, 19)]}`;
  return { postcode: `${district} ${rng.int(0, 9)}${unit}`, district };
}

const MRN_SPACE = 1_000_000_000;
/** 3^18: coprime with 10^9, so i -> (i * MRN_MULTIPLIER + offset) mod 10^9 is a bijection. */
const MRN_MULTIPLIER_HIGH = 3874; // 387420489 = 3874 * 10^5 + 20489
const MRN_MULTIPLIER_LOW = 20489;

/**
 * A record number unique within the cohort (for fewer than 10^9 rows) that does not reveal the row
 * order. Split multiplication keeps every intermediate below 2^53.
 */
export function medicalRecordNumber(index: number, offset: number): string {
  const i = index % MRN_SPACE;
  const high = ((i * MRN_MULTIPLIER_HIGH) % MRN_SPACE) * 100_000;
  const value = (high + i * MRN_MULTIPLIER_LOW + offset) % MRN_SPACE;
  return `MRN${value.toString().padStart(9, "0")}`;
}
