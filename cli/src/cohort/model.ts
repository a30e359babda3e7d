/**
 * The generative model of one synthetic cohort participant (runs on the user's machine).
 * Biomarkers share a latent inflammation factor and depend on age, sex, BMI and smoking; the
 * epigenetic clock runs ahead of chronological age with smoking, inflammation, glycaemia and low
 * activity; death follows a Gompertz proportional-hazards model, so a Cox model finds real signal.
 * All coefficients are in TRUE_EFFECTS so tests and docs can refer to them.
 */
import {
  ETHNICITIES,
  PHYSICAL_ACTIVITY_LEVELS,
  REGIONS,
  SMOKING_STATUSES,
} from "@cce4long/protocol/datasets/longevity-cohort";
import { address, fullName, medicalRecordNumber } from "./identity";
import type { Xoshiro128StarStar } from "./prng";

/** One participant, already rounded to the precision written to files. Keys are the column names (a type, not an interface, so it is a Record). */
export type CohortRow = {
  participant_id: string;
  full_name: string;
  medical_record_number: string;
  /** ISO date, YYYY-MM-DD. */
  date_of_birth: string;
  postcode: string;
  sex: "F" | "M";
  age_at_baseline: number;
  ethnicity: string;
  region: string;
  postcode_district: string;
  smoking_status: string;
  bmi: number;
  physical_activity: string;
  crp_mg_l: number;
  hba1c_mmol_mol: number;
  albumin_g_l: number;
  creatinine_umol_l: number;
  lymphocyte_pct: number;
  alkaline_phosphatase_u_l: number;
  red_cell_distribution_width_pct: number;
  white_cell_count_10e9_l: number;
  epigenetic_clock_age: number;
  follow_up_years: number;
  died: 0 | 1;
};

/** Decimal places of each numeric column as written (integers have 0). */
export const DECIMALS: Partial<Record<keyof CohortRow, number>> = {
  age_at_baseline: 0,
  bmi: 1,
  crp_mg_l: 2,
  hba1c_mmol_mol: 1,
  albumin_g_l: 1,
  creatinine_umol_l: 1,
  lymphocyte_pct: 1,
  alkaline_phosphatase_u_l: 1,
  red_cell_distribution_width_pct: 2,
  white_cell_count_10e9_l: 2,
  epigenetic_clock_age: 1,
  follow_up_years: 2,
  died: 0,
};

/** The true log hazard ratios of the simulated mortality (per unit of each covariate). */
export const TRUE_EFFECTS = {
  /** Gompertz baseline: hazard = b * exp(gamma * age) for a reference participant. */
  gompertzB: 1.5e-5,
  gompertzGamma: 0.09,
  /** Per year of epigenetic age acceleration (clock age minus age): HR 1.07 per year. */
  clockAcceleration: 0.07,
  /** Per unit of ln(CRP mg/L). */
  logCrp: 0.2,
  currentSmoker: 0.45,
  formerSmoker: 0.12,
  male: 0.35,
  /** Per mmol/mol of HbA1c above 36. */
  hba1c: 0.01,
  /** Per g/L of albumin above 45. */
  albumin: -0.03,
  lowActivity: 0.2,
  highActivity: -0.15,
} as const;

/** Recruitment ran for four years from this date; follow-up ended 16 years after it. */
const RECRUITMENT_START_MS = Date.UTC(2006, 2, 13);
const RECRUITMENT_YEARS = 4;
const FOLLOW_UP_END_YEARS = 16;
const LOSS_TO_FOLLOW_UP_RATE = 0.008;
const DAY_MS = 86_400_000;
const YEAR_DAYS = 365.2425;

const cumulative = (weights: readonly number[]) => {
  let total = 0;
  return weights.map((w) => {
    total += w;
    return total;
  });
};
const ETHNICITY_WEIGHTS = cumulative([0.82, 0.09, 0.04, 0.03, 0.02]);
const REGION_WEIGHTS = cumulative([16, 14, 9, 10, 9, 7, 8, 11, 4, 8, 4]);

export interface ParticipantContext {
  /** Row number from 0. */
  index: number;
  /** Per-cohort offset that scrambles record numbers. */
  mrnOffset: number;
}

/** Draws one participant. Consumes a variable number of draws: rows depend on the seed and all earlier rows. */
export function simulateParticipant(rng: Xoshiro128StarStar, ctx: ParticipantContext): CohortRow {
  const sex = rng.bernoulli(0.46) ? "M" : "F";
  const male = sex === "M" ? 1 : 0;
  const ageYears = rng.int(40, 84);
  const ethnicity = ETHNICITIES[rng.weighted(ETHNICITY_WEIGHTS)]!;
  const region = REGIONS[rng.weighted(REGION_WEIGHTS)]!;
  const home = address(rng, region);

  // Dates: recruitment somewhere in the four-year window; birth so that completed age is ageYears.
  const recruitedMs =
    RECRUITMENT_START_MS + Math.floor(rng.uniform() * RECRUITMENT_YEARS * YEAR_DAYS) * DAY_MS;
  const recruited = new Date(recruitedMs);
  const lastBirthdayMs = Date.UTC(
    recruited.getUTCFullYear() - ageYears,
    recruited.getUTCMonth(),
    Math.min(recruited.getUTCDate(), 28),
  );
  const birthMs = lastBirthdayMs - rng.int(0, 360) * DAY_MS;
  const age = (recruitedMs - birthMs) / DAY_MS / YEAR_DAYS;
  const a60 = age - 60;

  // Lifestyle.
  const pCurrent = 0.12 + 0.03 * male - 0.002 * a60;
  const pFormer = 0.3 + 0.06 * male + 0.004 * a60;
  const u = rng.uniform();
  const smoking = u < pCurrent ? 2 : u < pCurrent + pFormer ? 1 : 0;
  const current = smoking === 2 ? 1 : 0;
  const former = smoking === 1 ? 1 : 0;
  const pLow = 0.25 + 0.004 * a60;
  const pHigh = 0.3 - 0.003 * a60;
  const v = rng.uniform();
  const activity = v < pLow ? 0 : v < pLow + pHigh ? 2 : 1;
  const lowActivity = activity === 0 ? 1 : 0;
  const highActivity = activity === 2 ? 1 : 0;
  const bmi = clamp(
    27.2 + 0.6 * male + 0.04 * a60 + 1.0 * lowActivity - 1.0 * highActivity + rng.normal(0, 4.3),
    16,
    60,
  );

  // Blood: a shared latent inflammation factor plus marker-specific noise.
  const inflammation = rng.normal();
  const bmi27 = bmi - 27;
  const lnCrp =
    Math.log(1.3) +
    0.08 * bmi27 +
    0.35 * current +
    0.1 * former +
    0.006 * a60 +
    0.55 * inflammation +
    rng.normal(0, 0.6);
  const crp = clamp(Math.exp(lnCrp), 0.1, 100);
  const diabetic = rng.bernoulli(clamp(0.04 + 0.006 * bmi27 + 0.001 * a60, 0.005, 0.5));
  const hba1c = clamp(
    35.5 + 0.1 * a60 + 0.35 * bmi27 + rng.normal(0, 3.5) + (diabetic ? 14 + 8 * rng.exponential() : 0),
    20,
    120,
  );
  const albumin = clamp(45 - 0.06 * a60 - 0.8 * inflammation + rng.normal(0, 2.5), 25, 55);
  const creatinine = clamp((male ? 82 : 64) * Math.exp(0.004 * a60 + rng.normal(0, 0.15)), 30, 300);
  const lymphocytes = clamp(29 - 0.1 * a60 - 2 * inflammation + rng.normal(0, 6), 5, 60);
  const alp = clamp(
    78 + 0.3 * a60 + 0.8 * bmi27 + 3 * current + 4 * inflammation + rng.normal(0, 20),
    20,
    300,
  );
  const rdw = clamp(13.3 + 0.015 * a60 + 0.25 * inflammation + 0.2 * current + rng.normal(0, 0.8), 10, 22);
  const wbc = clamp(6.6 + 0.7 * current + 0.6 * inflammation + 0.05 * bmi27 + rng.normal(0, 1.5), 2, 20);

  // Epigenetic clock: chronological age plus an acceleration driven by exposures and biology.
  const acceleration =
    2 * current +
    0.7 * former +
    0.8 * inflammation +
    0.1 * bmi27 +
    0.08 * (hba1c - 36) -
    0.15 * (albumin - 45) +
    0.6 * lowActivity -
    0.8 * highActivity +
    0.5 * male +
    rng.normal(0, 3.5);
  const clockAge = clamp(age + acceleration, 20, 120);

  // Mortality: Gompertz in attained age, proportional hazards in the covariates.
  const e = TRUE_EFFECTS;
  const linearPredictor =
    e.clockAcceleration * (clockAge - age) +
    e.logCrp * Math.log(crp) +
    e.currentSmoker * current +
    e.formerSmoker * former +
    e.male * male +
    e.hba1c * (hba1c - 36) +
    e.albumin * (albumin - 45) +
    e.lowActivity * lowActivity +
    e.highActivity * highActivity;
  const scale = e.gompertzB * Math.exp(e.gompertzGamma * age + linearPredictor);
  // Inverse of the cumulative hazard H(t) = scale * (exp(gamma t) - 1) / gamma at an Exp(1) draw.
  const deathYears = Math.log1p((e.gompertzGamma * rng.exponential()) / scale) / e.gompertzGamma;
  const adminYears = FOLLOW_UP_END_YEARS - (recruitedMs - RECRUITMENT_START_MS) / DAY_MS / YEAR_DAYS;
  const lostYears = rng.exponential() / LOSS_TO_FOLLOW_UP_RATE;
  const censorYears = Math.min(adminYears, lostYears);
  const died = deathYears <= censorYears ? 1 : 0;
  const followUp = Math.max(0.01, Math.min(deathYears, censorYears));

  return {
    participant_id: `P${(ctx.index + 1).toString().padStart(8, "0")}`,
    full_name: fullName(rng, sex),
    medical_record_number: medicalRecordNumber(ctx.index, ctx.mrnOffset),
    date_of_birth: new Date(birthMs).toISOString().slice(0, 10),
    postcode: home.postcode,
    sex,
    age_at_baseline: ageYears,
    ethnicity,
    region,
    postcode_district: home.district,
    smoking_status: SMOKING_STATUSES[smoking]!,
    bmi: round(bmi, 1),
    physical_activity: PHYSICAL_ACTIVITY_LEVELS[activity]!,
    crp_mg_l: round(crp, 2),
    hba1c_mmol_mol: round(hba1c, 1),
    albumin_g_l: round(albumin, 1),
    creatinine_umol_l: round(creatinine, 1),
    lymphocyte_pct: round(lymphocytes, 1),
    alkaline_phosphatase_u_l: round(alp, 1),
    red_cell_distribution_width_pct: round(rdw, 2),
    white_cell_count_10e9_l: round(wbc, 2),
    epigenetic_clock_age: round(clockAge, 1),
    follow_up_years: round(followUp, 2),
    died,
  };
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(Math.max(x, min), max);
}

/** Rounds to `decimals` places so that toFixed(decimals) prints the value exactly. */
export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
