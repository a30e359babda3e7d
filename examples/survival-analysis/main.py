"""Survival analysis of the synthetic longevity cohort: a Privacy Mode example job.

Runs inside the job sandbox with Debian's python3 (numpy, pandas, scipy, statsmodels) and no network.
Reads the cohort CSV from the read-only data directory and writes only aggregates that pass the
Output Gate's ACRO-default rules (minimum cell count 10, regression residual df >= 10):
  km_by_age_band.csv   Kaplan-Meier survival by age band, at-risk and cumulative deaths
  cox_model.json       Cox proportional hazards of mortality on clock-age acceleration and biomarkers
  summary_statistics.csv  n, mean, sd of key variables by vital status
  deaths_by_age_sex.csv   frequency table of participants by age band, sex and vital status
Directories come from CCE4LONG_DATA_DIR (default /data) and CCE4LONG_OUTPUT_DIR (default /output).
"""

import glob
import json
import math
import os
import sys

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

DATA_DIR = os.environ.get("CCE4LONG_DATA_DIR", "/data")
OUTPUT_DIR = os.environ.get("CCE4LONG_OUTPUT_DIR", "/output")
COHORT_FILE = os.environ.get("COHORT_FILE", "")
MIN_CELL = int(os.environ.get("MIN_CELL_COUNT", "10"))
ROUND_TO = int(os.environ.get("ROUND_COUNTS_TO", "5"))
TIMES = [0, 2, 4, 6, 8, 10, 12]
AGE_BANDS = [(40, 49, "40-49"), (50, 59, "50-59"), (60, 69, "60-69"), (70, 79, "70-79"), (80, 200, "80+")]
COX_TERMS = [
    "clock_age_acceleration",
    "age_at_baseline",
    "male",
    "log_crp",
    "hba1c_mmol_mol",
    "albumin_g_l",
    "creatinine_umol_l",
    "lymphocyte_pct",
    "current_smoker",
    "former_smoker",
]


def find_cohort() -> str:
    if COHORT_FILE:
        return os.path.join(DATA_DIR, COHORT_FILE)
    candidates = sorted(glob.glob(os.path.join(DATA_DIR, "**", "*.csv"), recursive=True))
    if not candidates:
        sys.exit(f"no CSV file under {DATA_DIR}")
    return candidates[0]


def round_count(n: int) -> int:
    """Rounds a count to the nearest multiple of ROUND_TO, never below MIN_CELL (n is already >= MIN_CELL)."""
    return max(MIN_CELL, int(ROUND_TO * round(n / ROUND_TO)))


def age_band(age: float) -> str:
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "other"


def load() -> pd.DataFrame:
    df = pd.read_csv(find_cohort())
    # Age acceleration as epidemiologists define it: the residual of clock age regressed on age.
    slope, intercept = np.polyfit(df["age_at_baseline"], df["epigenetic_clock_age"], 1)
    df["clock_age_acceleration"] = df["epigenetic_clock_age"] - (intercept + slope * df["age_at_baseline"])
    df["male"] = (df["sex"] == "M").astype(float)
    df["log_crp"] = np.log(df["crp_mg_l"])
    df["current_smoker"] = (df["smoking_status"] == "current").astype(float)
    df["former_smoker"] = (df["smoking_status"] == "former").astype(float)
    df["age_band"] = df["age_at_baseline"].map(age_band)
    df["vital_status"] = np.where(df["died"] == 1, "died", "alive")
    return df


def kaplan_meier(time: np.ndarray, event: np.ndarray, at: list) -> list:
    """Product-limit estimate with Greenwood variance and log(-log) 95% intervals at the given times."""
    order = np.argsort(time, kind="mergesort")
    time, event = time[order], event[order]
    unique_event_times = np.unique(time[event == 1])
    surv, var_sum, rows, k = 1.0, 0.0, [], 0
    for t in at:
        while k < len(unique_event_times) and unique_event_times[k] <= t:
            u = unique_event_times[k]
            n = np.sum(time >= u)
            d = np.sum((time == u) & (event == 1))
            surv *= 1 - d / n
            if n > d:
                var_sum += d / (n * (n - d))
            k += 1
        at_risk = int(np.sum(time >= t)) if t > 0 else len(time)
        deaths = int(np.sum((time <= t) & (event == 1)))
        if 0 < surv < 1 and var_sum > 0:
            se = math.sqrt(var_sum) / abs(math.log(surv))
            lo, hi = surv ** math.exp(1.96 * se), surv ** math.exp(-1.96 * se)
        else:
            lo, hi = surv, surv
        rows.append((t, at_risk, deaths, surv, lo, hi))
    return rows


def survival_table(df: pd.DataFrame) -> pd.DataFrame:
    out = []
    for _, _, label in AGE_BANDS:
        group = df[df["age_band"] == label]
        last_reported = 0
        for t, at_risk, deaths, surv, lo, hi in kaplan_meier(
            group["follow_up_years"].to_numpy(), group["died"].to_numpy(), TIMES
        ):
            row = {"age_band": label, "time_years": t, "n_at_risk": None, "n_events": None,
                   "survival": None, "ci_lower": None, "ci_upper": None}
            if at_risk >= MIN_CELL:
                row["n_at_risk"] = round_count(at_risk)
                # Deaths since the last reported time must also reach the threshold, or differencing
                # two rows would reveal a small count; survival is shown only with its death count.
                if deaths >= MIN_CELL and deaths - last_reported >= MIN_CELL:
                    last_reported = deaths
                    row.update(n_events=round_count(deaths), survival=round(surv, 3),
                               ci_lower=round(lo, 3), ci_upper=round(hi, 3))
            out.append(row)
    # Nullable integers so suppressed cells are empty and counts print without ".0".
    return pd.DataFrame(out).astype({"n_at_risk": "Int64", "n_events": "Int64"})


def cox_model(df: pd.DataFrame) -> dict:
    x = df[COX_TERMS].astype(float)
    result = PHReg(df["follow_up_years"], x, status=df["died"], ties="breslow").fit()
    ci = result.conf_int()
    n_events = int(df["died"].sum())
    coefficients = []
    for i, term in enumerate(COX_TERMS):
        coefficients.append({
            "term": term,
            "coef": float(np.round(result.params[i], 5)),
            "hazard_ratio": float(np.round(math.exp(result.params[i]), 4)),
            "se": float(np.round(result.bse[i], 5)),
            "ci_lower": float(np.round(ci[i][0], 5)),
            "ci_upper": float(np.round(ci[i][1], 5)),
            "p_value": float(f"{result.pvalues[i]:.3g}"),
        })
    return {
        "model": "cox",
        "ties": "breslow",
        "outcome": "death",
        "time": "follow_up_years",
        "n_observations": round_count(len(df)),
        "n_events": round_count(n_events),
        # Conservative for a Cox model: events, not observations, carry the information.
        "df_residual": n_events - len(COX_TERMS),
        "coefficients": coefficients,
    }


def summary_statistics(df: pd.DataFrame) -> pd.DataFrame:
    variables = ["age_at_baseline", "epigenetic_clock_age", "clock_age_acceleration", "bmi", "crp_mg_l",
                 "hba1c_mmol_mol", "albumin_g_l", "creatinine_umol_l", "lymphocyte_pct", "follow_up_years"]
    rows = []
    for status, group in df.groupby("vital_status"):
        if len(group) < MIN_CELL:
            continue
        for v in variables:
            rows.append({"vital_status": status, "variable": v, "n": round_count(len(group)),
                         "mean": round(float(group[v].mean()), 2), "sd": round(float(group[v].std()), 2)})
    return pd.DataFrame(rows)


def frequency_table(df: pd.DataFrame) -> pd.DataFrame:
    counts = df.groupby(["age_band", "sex", "vital_status"]).size()
    full = pd.MultiIndex.from_product(
        [[b for _, _, b in AGE_BANDS], ["F", "M"], ["alive", "died"]], names=["age_band", "sex", "vital_status"]
    )
    counts = counts.reindex(full, fill_value=0).reset_index(name="n")
    # Zero and small cells are both disclosive: suppress them.
    counts["n"] = pd.array([round_count(n) if n >= MIN_CELL else None for n in counts["n"]], dtype="Int64")
    return counts


def main() -> None:
    df = load()
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    survival_table(df).to_csv(os.path.join(OUTPUT_DIR, "km_by_age_band.csv"), index=False)
    with open(os.path.join(OUTPUT_DIR, "cox_model.json"), "w") as f:
        json.dump(cox_model(df), f, indent=2)
    summary_statistics(df).to_csv(os.path.join(OUTPUT_DIR, "summary_statistics.csv"), index=False)
    frequency_table(df).to_csv(os.path.join(OUTPUT_DIR, "deaths_by_age_sex.csv"), index=False)
    print(f"analysed {len(df)} participants; wrote 4 aggregate outputs to {OUTPUT_DIR}")


if __name__ == "__main__":
    main()
