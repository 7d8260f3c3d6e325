"""How often would a model's raw reasons contradict common sense? `python -m bench.monotone`.

    python -m bench.monotone --data EXTRACTION --model constrained=DIR --model free=DIR \
        [--as-of 2025-10-06 --as-of 2025-12-01 ...]

For each saved `RiskModel` (a `risk_model` folder of a registered model's artifacts) and each
as-of date, builds the features of every enrolled student with the one builder, and looks at
each student's 3 largest positive contributions among the own signals whose worse side is
known (`features.catalog.DIRECTIONS`): a contribution contradicts its comparison when the value
is on the better side of its class's (or level's) median, or of 0 for a feature that is a
comparison in itself (`models.reasons`): "marks +2.6 points since last year" raising the risk.
Such contributions are never shown as reasons (the choice of reasons filters them out, and
values equal to the median as well); this counts how many the filter has to remove, with and
without the monotone constraints. Prints one line per model.
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import pandas as pd

from features.builder import build_features
from features.catalog import DIRECTIONS
from models.contributions import contributions
from models.reasons import SELF_COMPARED, numeric_values, reference_matrix, reference_medians
from models.risk_model import RiskModel

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="Extraction folder.")
    parser.add_argument("--model", action="append", required=True,
                        help="NAME=DIR of a saved RiskModel (repeatable).")  # fmt: skip
    parser.add_argument("--as-of", action="append", default=None, help="As-of Monday(s).")
    args = parser.parse_args()
    dates = [dt.date.fromisoformat(day) for day in (args.as_of or DEFAULT_DATES)]
    frame = build_features(args.data, dates).frame
    for spec in args.model:
        name, _, folder = spec.partition("=")
        students, flagged, raising, bad = contradictions(RiskModel.load(folder), frame)
        print(f"{name}: {students:,} student-weeks; top-{TOP} raising contributions of directed "
              f"features {raising:,}, contradicting their comparison {bad:,} "
              f"({bad / max(raising, 1):.1%}); student-weeks with at least one "
              f"{flagged:,} ({flagged / max(students, 1):.1%})")  # fmt: skip


if __name__ == "__main__":
    main()
