"""The replay of each tested year from a logged run, week by week (issue 12):
`python -m bench.replay_weeks VIGIE_HOME [--n-boot 50]`.

For the latest run under `VIGIE_HOME` (the folder `vigie train` logged into), per tested school
year: rows, replayed weeks, slots, future dropouts by kind of exit, the weeks whose rows
labelled 0 are all censored (`training.replay.observed_weeks`), and the replay of each model
and baseline (`training.evaluation.replay_table`, the code `vigie train` runs) as it is and
with every week kept (what the replay did before those weeks were left out): dropouts reached,
at least 4 weeks ahead, per kind, and the lead time's quartiles. Prints text; reads only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

COLUMNS = [
    "n_dropouts",
    "dropouts_reached",
    "dropouts_reached_ahead",
    "dropouts_reached@no_return",
    "dropouts_reached@after_exam_failure",
    "lead_time_q1_weeks",
    "lead_time_median_weeks",
    "lead_time_q3_weeks",
]


def _latest(home: Path, name: str) -> Path:
    found = sorted(home.rglob(name), key=lambda path: path.stat().st_mtime)
    if not found:
        raise SystemExit(f"no {name} under {home}: run `vigie train` with VIGIE_HOME={home}")
    return found[-1]


def main() -> None:
    import training.replay as replay
    from training.config import TrainConfig
    from training.evaluation import replay_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--n-boot", type=int, default=50)
    args = parser.parse_args()
    predictions = pd.read_parquet(_latest(args.home, "test_predictions.parquet"))
    settings = yaml.safe_load(_latest(args.home, "train_config.yaml").read_text())
    config = TrainConfig.model_validate(settings | {"n_boot": args.n_boot})
    if "repeat" in predictions.columns:
        predictions = predictions[predictions["repeat"] == predictions["repeat"].min()]
    pd.set_option("display.width", 200)
    for year, rows in predictions.groupby("school_year", sort=True):
        rows = rows.reset_index(drop=True)
        weeks = rows.groupby("as_of")["label"].agg(["size", "sum"])
        unobserved = weeks.index[weeks["size"] == weeks["sum"]]
        slots = int(rows.drop_duplicates(["uai", "as_of"])["capacity"].sum())
        positive = rows[rows["label"].astype(bool)].drop_duplicates("student_id")
        kinds = positive["exit_kind"].value_counts().to_dict() if "exit_kind" in rows else {}
        print(f"\n{year}: {len(rows):,} rows, {len(weeks)} weeks, {slots:,} slots, "
              f"{len(positive)} future dropouts {kinds}; weeks with no row labelled 0: "
              f"{[day.date().isoformat() for day in unobserved]}")  # fmt: skip
        for title, keep_all in (("as replayed", False), ("every week kept", True)):
            judged = replay.observed_weeks
            if keep_all:
                replay.observed_weeks = lambda scored: np.ones(len(scored), dtype=bool)
            try:
                table = replay_table(rows, config)[0]
            finally:
                replay.observed_weeks = judged
            print(f"  {title}:")
            print(table.reindex(columns=COLUMNS).round(1).to_string())


if __name__ == "__main__":
    main()
