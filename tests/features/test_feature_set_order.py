"""`FeatureSet.from_frame` leaves rows in (as_of, student_id) order: rows given in that order
stay as they are, any other order is sorted, ids compared as Python compares them (code
point: "Z" before "a" before "é"), with several dates and repeated ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalog import FEATURE_CATALOG
from features.feature_set import FeatureSet, frame_columns

NUMERIC = {spec.name for spec in FEATURE_CATALOG if spec.kind == "numeric"}
IDS = ["A1", "Z9", "a1", "a10", "a2", "é1", "ÿ", "b"]


def _frame(dates: list[str], ids: list[str]) -> pd.DataFrame:
    columns: dict[str, object] = {}
    for name in frame_columns():
        if name == "as_of":
            columns[name] = pd.to_datetime(dates)
        elif name == "student_id":
            columns[name] = ids
        elif name in NUMERIC:
            columns[name] = np.arange(len(ids), dtype="float64")  # the row it came from
        elif name == "scholarship_level":
            columns[name] = [1] * len(ids)
        else:
            columns[name] = ["x"] * len(ids)
    return pd.DataFrame(columns)


@pytest.mark.parametrize("seed", range(40))
def test_rows_come_out_in_date_and_id_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(0, 12))
    dates = rng.choice(["2026-03-09", "2026-03-16", "2026-03-23"], size).tolist()
    ids = rng.choice(IDS, size).tolist()
    pairs = list(zip(dates, ids, strict=True))
    if seed % 3 == 0:  # in order already
        pairs.sort()
    elif seed % 3 == 1:  # in date order, the ids of a date in any order
        pairs.sort(key=lambda pair: pair[0])
    frame = _frame([d for d, _ in pairs], [i for _, i in pairs])
    got = FeatureSet.from_frame(frame).frame
    expected = sorted(range(size), key=lambda row: (pairs[row][0], pairs[row][1]))
    # Stable: rows with the same date and id keep their order.
    assert got[next(iter(NUMERIC))].astype(int).tolist() == expected
    assert list(
        zip(got["as_of"].dt.strftime("%Y-%m-%d"), got["student_id"], strict=True)
    ) == sorted(pairs)
