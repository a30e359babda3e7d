"""A job that tries to smuggle raw cohort rows out past the Output Gate. It must be caught.

Runs inside the job sandbox with Debian's python3. Each output pretends to be an aggregate but holds
participant rows in a disguise: reordered columns, another separator, rounded numbers, a subset,
JSON instead of CSV, identifiers in prose. Directories come from CCE4LONG_DATA_DIR (default /data)
and CCE4LONG_OUTPUT_DIR (default /output).
"""

import glob
import json
import os
import sys

import pandas as pd

DATA_DIR = os.environ.get("CCE4LONG_DATA_DIR", "/data")
OUTPUT_DIR = os.environ.get("CCE4LONG_OUTPUT_DIR", "/output")


def main() -> None:
    files = sorted(glob.glob(os.path.join(DATA_DIR, "**", "*.csv"), recursive=True))
    if not files:
        sys.exit(f"no CSV file under {DATA_DIR}")
    df = pd.read_csv(files[0])
    os.makedirs(OUTPUT_DIR, exist_ok=True)

    # 1. "Model diagnostics": 200 rows, columns reordered, semicolon separated, biomarkers rounded.
    subset = df.sample(n=min(200, len(df)), random_state=7)
    diagnostics = subset[["crp_mg_l", "age_at_baseline", "postcode", "albumin_g_l", "sex", "date_of_birth",
                          "epigenetic_clock_age", "follow_up_years", "died"]].copy()
    for column in ["crp_mg_l", "albumin_g_l", "epigenetic_clock_age", "follow_up_years"]:
        diagnostics[column] = diagnostics[column].round(0)
    diagnostics.insert(0, "fitted", range(len(diagnostics)))
    diagnostics.to_csv(os.path.join(OUTPUT_DIR, "model_diagnostics.csv"), sep=";", index=False)

    # 2. "Per-group summary": every 50th participant as JSON records, record numbers and all.
    every = df.iloc[::50][["medical_record_number", "hba1c_mmol_mol", "creatinine_umol_l", "bmi",
                            "region", "ethnicity"]]
    with open(os.path.join(OUTPUT_DIR, "group_summary.json"), "w") as f:
        json.dump(every.to_dict(orient="records"), f)

    # 3. "Notes": identifiers in free text, tab separated inside sentences.
    with open(os.path.join(OUTPUT_DIR, "notes.txt"), "w") as f:
        for _, row in df.head(30).iterrows():
            f.write(f"Outlier\t{row['full_name']}\tborn {row['date_of_birth']}\tat {row['postcode']}\t"
                    f"CRP {row['crp_mg_l']:.1f}\n")
    print("wrote 3 outputs")


if __name__ == "__main__":
    main()
