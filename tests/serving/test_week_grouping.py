"""The column-wise helpers of the weekly run equal the per-row loops they replaced: the
grouping of the rows by establishment (`serving.scoring.week._uai_slices`, which
`week_candidates` slices every student's risk with) and the
lookup of the listed students' rows for their contributions
(`features.feature_set.row_positions`)."""

from __future__ import annotations

import random
from collections import defaultdict

import pandas as pd
import pytest

from features.feature_set import row_positions
from serving.scoring.week import _uai_slices


@pytest.mark.parametrize("seed", range(10))
def test_grouping_by_uai_is_the_per_row_loop(seed: int) -> None:
    generator = random.Random(seed)
    size = generator.randrange(0, 200)
    uais = [generator.choice(["0750001A", "0750002B", "0690003C"]) for _ in range(size)]
    items = [(f"S{i:04d}", generator.random()) for i in range(size)]
    expected: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for uai, item in zip(uais, items, strict=True):
        expected[uai].append(item)
    order, slices = _uai_slices(pd.Series(uais, dtype="str"))
    grouped = {uai: tuple(items[row] for row in order[start:end]) for uai, start, end in slices}
    assert grouped == {uai: tuple(found) for uai, found in expected.items()}
    assert [uai for uai, _, _ in slices] == sorted(expected)


@pytest.mark.parametrize("seed", range(10))
def test_listed_rows_are_found_as_by_the_whole_index(seed: int) -> None:
    generator = random.Random(seed)
    size = generator.randrange(1, 300)
    frame = pd.DataFrame(
        {
            "student_id": pd.Series(
                [f"S{generator.randrange(150):04d}" for _ in range(size)], dtype="str"
            ),
            "uai": pd.Series(
                [generator.choice(["0750001A", "0750002B"]) for _ in range(size)], dtype="str"
            ),
        }
    )
    whole = {
        pair: row
        for row, pair in enumerate(
            zip(frame["uai"].astype(str), frame["student_id"].astype(str), strict=True)
        )
    }
    wanted = {generator.choice(frame["student_id"].tolist()) for _ in range(10)} | {"absent"}
    expected = {pair: row for pair, row in whole.items() if pair[1] in wanted}
    assert row_positions(frame, wanted) == expected
