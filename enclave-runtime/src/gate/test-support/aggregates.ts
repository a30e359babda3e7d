/**
 * Safe aggregate outputs computed from the fixture cohort (runs in Node under vitest): what an honest
 * analysis job writes, which the gate must let through.
 */
import type { CohortRow } from "@cce4long/cli/cohort/model";

type Group = { sex: string; band: string; rows: CohortRow[] };

export function groups(rows: readonly CohortRow[]): Group[] {
  const out: Group[] = [];
  for (const sex of ["F", "M"]) {
    for (let a = 40; a < 85; a += 15) {
      const band = `${a}-${a + 14}`;
      out.push({
        sex,
        band,
        rows: rows.filter((r) => r.sex === sex && r.age_at_baseline >= a && r.age_at_baseline < a + 15),
      });
    }
  }
  return out;
}

const mean = (rows: readonly CohortRow[], f: (r: CohortRow) => number) =>
  rows.reduce((s, r) => s + f(r), 0) / rows.length;
const sd = (rows: readonly CohortRow[], f: (r: CohortRow) => number) => {
  const m = mean(rows, f);
  return Math.sqrt(rows.reduce((s, r) => s + (f(r) - m) ** 2, 0) / (rows.length - 1));
};

export function frequencyCsv(rows: readonly CohortRow[]): string {
  const lines = ["sex,age_band,smoking_status,n"];
  for (const g of groups(rows)) {
    for (const s of ["never", "former", "current"]) {
      lines.push(`${g.sex},${g.band},${s},${g.rows.filter((r) => r.smoking_status === s).length}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export const MEASURES = [
  "bmi",
  "crp_mg_l",
  "hba1c_mmol_mol",
  "albumin_g_l",
  "creatinine_umol_l",
  "lymphocyte_pct",
  "epigenetic_clock_age",
  "follow_up_years",
] as const;

/** Mean and SD of every measure by sex and age band, 2 decimals. */
export function summaryCsv(rows: readonly CohortRow[]): string {
  const header = ["sex", "age_band", "n", ...MEASURES.flatMap((m) => [`mean_${m}`, `sd_${m}`])];
  const lines = [header.join(",")];
  for (const g of groups(rows)) {
    const stats = MEASURES.flatMap((m) => [
      mean(g.rows, (r) => r[m]).toFixed(2),
      sd(g.rows, (r) => r[m]).toFixed(2),
    ]);
    lines.push([g.sex, g.band, String(g.rows.length), ...stats].join(","));
  }
  return `${lines.join("\n")}\n`;
}

export const SUMMARY_STATISTICS = MEASURES.flatMap((m) => [
  { column: `mean_${m}`, statistic: "mean" as const },
  { column: `sd_${m}`, statistic: "sd" as const },
]);

/** A Cox-style coefficient table (made-up but plausible numbers) with the residual df on every row. */
export function regressionCsv(df: number): string {
  return `term,coef,se,z,p,df_resid\nepigenetic_clock_age,0.0812,0.0061,13.31,0.0000,${df}\ncrp_mg_l,0.0213,0.0044,4.84,0.0000,${df}\nsex_M,0.3321,0.0712,4.66,0.0000,${df}\n`;
}

/** Kaplan-Meier by year of follow-up and sex: at risk, deaths, survival. */
export function survivalCsv(rows: readonly CohortRow[]): string {
  const lines = ["sex,year,n_at_risk,n_events,survival"];
  for (const sex of ["F", "M"]) {
    const g = rows.filter((r) => r.sex === sex);
    let s = 1;
    for (let year = 0; year < 10; year++) {
      const atRisk = g.filter((r) => r.follow_up_years >= year).length;
      const events = g.filter(
        (r) => r.died === 1 && r.follow_up_years >= year && r.follow_up_years < year + 1,
      ).length;
      s *= atRisk > 0 ? 1 - events / atRisk : 1;
      lines.push(`${sex},${year},${atRisk},${events},${s.toFixed(4)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
