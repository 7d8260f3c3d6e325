"""How often would a model's raw reasons contradict common sense? `python -m bench.monotone`.

    python -m bench.monotone --data EXTRACTION --model constrained=DIR --model free=DIR \
        [--as-of 2025-10-06 --as-of 2025-12-01 ... | --school-year 2025-2026] [--points]

For each saved `RiskModel` (a `risk_model` folder of a registered model's artifacts) and each
as-of date, builds the features of every enrolled student with the one builder, and looks at
each student's 3 largest positive contributions among the own signals whose worse side is
known (`features.catalog.DIRECTIONS`): a contribution contradicts its comparison when the value
is on the better side of its class's (or level's) median, or of 0 for a feature that is a
comparison in itself (`models.reasons`): "marks +2.6 points since last year" raising the risk.
Such contributions are never shown as reasons (the choice of reasons filters them out, and
values equal to the median as well); this counts how many the filter has to remove, with and
without the monotone constraints. Prints one line per model.

With `--points`, also the weights that the weekly lists would show: each establishment-week's
`weekly_interview_capacity` students with the highest raw score (follow-up ignored), explained
as `RiskModel.explain` does (top 3 reasons, references over the date's rows), and the share of
their reasons whose weight reads « < 0,1 point » (`models.reason_wording.format_points`): the
first reason of each listed student, and every reason shown. Also how many listed students
score beyond the calibration map's last threshold, where an isotonic map is flat
(`models.calibration`). Before centered isotonic regression, the top of a list often read
« < 0,1 point » for large contributions (README, "Models against the rules schools use today").
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import pandas as pd

from features.builder import build_features
from features.catalog import DIRECTIONS
from features.extraction import open_extraction
from models.contributions import contributions
from models.ranking import list_ranks
from models.reason_wording import format_points
from models.reasons import SELF_COMPARED, numeric_values, reference_matrix, reference_medians
from models.risk_model import RiskModel
from training.snapshots import class_week_mondays

TOP = 3
DEFAULT_DATES = ("2025-10-06", "2025-12-01", "2026-02-02", "2026-04-06")


def contradictions(model: RiskModel, frame: pd.DataFrame) -> tuple[int, int, int, int]:
    """(students, students with at least one contradicting top contribution, top raising
    contributions of directed features, of which contradicting)."""
    names = list(model.feature_names)
    matrix = contributions(model, frame).loc[:, names].to_numpy()
    directed = np.array([name in DIRECTIONS for name in names])
    values = numeric_values(frame, names)
    references, _ = reference_matrix(reference_medians(frame, names), frame, names)
    for j, name in enumerate(names):
        if name in SELF_COMPARED:
            references[:, j] = 0.0
    worse_higher = np.array([DIRECTIONS[n].worse == "higher" if n in DIRECTIONS else True
                             for n in names])  # fmt: skip
    with np.errstate(invalid="ignore"):
        on_better = np.where(worse_higher, values < references, values > references)
    comparable = ~np.isnan(values) & ~np.isnan(references) & directed
    raising = np.where(directed, matrix, -np.inf)
    order = np.argsort(-raising, axis=1, kind="stable")[:, :TOP]
    top_value = np.take_along_axis(raising, order, axis=1)
    chosen = top_value > 0
    bad = chosen & np.take_along_axis(comparable & on_better, order, axis=1)
    return len(frame), int(bad.any(axis=1).sum()), int(chosen.sum()), int(bad.sum())


def listed_rows(model: RiskModel, frame: pd.DataFrame, capacities: pd.Series) -> np.ndarray:
    """Positions of each establishment-week's list: its `capacity` rows with the highest risk
    (the weekly lists' order, `models.ranking`: ties by student id)."""
    uai = frame["uai"].astype(str)
    week = uai.str.cat(frame["as_of"].astype(str), sep=" ")
    rank = list_ranks(model.score(frame), frame["student_id"], week)
    capacity = uai.map(capacities.rename(index=str))
    if capacity.isna().any():
        missing = sorted(set(uai[capacity.isna()]))[:3]
        raise ValueError(f"establishments.weekly_interview_capacity: no row for uai {missing}")
    return np.flatnonzero(rank <= capacity.to_numpy())


def small_weights(
    model: RiskModel, frame: pd.DataFrame, capacities: pd.Series
) -> tuple[int, int, int, int, int, int]:
    """(listed students, of which with a reason, first reasons reading « < 0,1 point », reasons
    shown, of which reading « < 0,1 point », listed students beyond the map's last threshold)."""
    rows = listed_rows(model, frame, capacities)
    why = model.explain(frame, top=TOP, rows=rows).why()
    small = np.array([format_points(p, "fr").startswith("<") for p in why["points"]], dtype=bool)
    first = why["rank"].to_numpy() == 1
    last = model.calibrator_.thresholds[-1] if model.calibrator_.method == "isotonic" else np.inf
    beyond = int((model.raw_score(frame.iloc[rows]) > last).sum())
    return len(rows), int(first.sum()), int(small[first].sum()), len(why), int(small.sum()), beyond


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Extraction folder.")
    parser.add_argument("--model", action="append", required=True,
                        help="NAME=DIR of a saved RiskModel (repeatable).")  # fmt: skip
    parser.add_argument("--as-of", action="append", default=None, help="As-of Monday(s).")
    parser.add_argument(
        "--school-year",
        default=None,
        help="Every class-week Monday of this school year (instead of --as-of).",
    )
    parser.add_argument("--points", action="store_true",
                        help="Also the weights of the weekly lists' reasons.")  # fmt: skip
    args = parser.parse_args()
    dates = [dt.date.fromisoformat(day) for day in (args.as_of or DEFAULT_DATES)]
    if args.school_year:
        dates = class_week_mondays(args.school_year)
    frame = build_features(args.data, dates).frame
    for spec in args.model:
        name, _, folder = spec.partition("=")
        students, flagged, raising, bad = contradictions(RiskModel.load(folder), frame)
        print(f"{name}: {students:,} student-weeks; top-{TOP} raising contributions of directed "
              f"features {raising:,}, contradicting their comparison {bad:,} "
              f"({bad / max(raising, 1):.1%}); student-weeks with at least one "
              f"{flagged:,} ({flagged / max(students, 1):.1%})")  # fmt: skip
        if args.points:
            capacities = (
                open_extraction(args.data, tables=["establishments"])
                .con.execute("SELECT uai, weekly_interview_capacity FROM establishments")
                .df()
                .set_index("uai")["weekly_interview_capacity"]
            )
            listed, firsts, small_first, shown, small, beyond = small_weights(
                RiskModel.load(folder), frame, capacities
            )
            print(f"{name}: {listed:,} listed student-weeks ({beyond:,} beyond the map's last "
                  f"threshold); first reasons reading '< 0,1 point' {small_first:,} of "
                  f"{firsts:,} ({small_first / max(firsts, 1):.1%}); all reasons shown "
                  f"{small:,} of {shown:,} ({small / max(shown, 1):.1%})")  # fmt: skip


if __name__ == "__main__":
    main()
