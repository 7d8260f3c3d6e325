"""The PSI from bin counts (`serving.services.psi`): bit for bit the PSI of the per-row form
it replaced, and the same for a week's rows counted part by part (one académie's snapshot
after the other, `WeekLineage.feature_parts`) as for the rows taken whole."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from serving.lineage import WeekLineage, folder_sha256
from serving.monitoring.metrics import drift_section
from serving.services.psi import parts_psi, population_stability_index

_EPSILON, _MISSING = 1e-4, "__missing__"


def per_row_psi(
    reference: pd.Series, current: pd.Series, bins: int = 10, categorical: bool = False
) -> float:
    """The PSI as Vigie computed it before the counts: every row binned, value_counts."""

    def shares(labels: pd.Series, order: list[object]) -> np.ndarray:
        counts = labels.value_counts().reindex(order, fill_value=0).to_numpy(dtype="float64")
        total = counts.sum()
        return np.clip(counts / total if total else counts, _EPSILON, None)

    def psi(ref: np.ndarray, cur: np.ndarray) -> float:
        return float(np.sum((cur - ref) * np.log(cur / ref)))

    if categorical:
        ref = reference.astype("string").fillna(_MISSING)
        cur = current.astype("string").fillna(_MISSING)
        labels = sorted(set(ref) | set(cur))
        return psi(shares(ref, labels), shares(cur, labels))
    ref_values = pd.to_numeric(reference, errors="coerce").astype("float64")
    cur_values = pd.to_numeric(current, errors="coerce").astype("float64")
    known = ref_values.dropna()
    edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1))) if len(known) else None
    inner = edges[1:-1] if edges is not None and len(edges) > 2 else np.array([])

    def binned(values: pd.Series) -> pd.Series:
        codes = np.searchsorted(inner, values.to_numpy(), side="right").astype(object)
        codes[values.isna().to_numpy()] = _MISSING
        return pd.Series(codes, dtype=object)

    labels = [*range(len(inner) + 1), _MISSING]
    return psi(shares(binned(ref_values), labels), shares(binned(cur_values), labels))


def _numbers(rng: random.Random, rows: int, shift: float) -> pd.Series:
    kind = rng.choice(["continuous", "counts", "constant", "missing"])
    if kind == "constant":
        values = [3.0] * rows
    elif kind == "missing":
        values = [float("nan")] * rows
    elif kind == "counts":
        values = [float(rng.randrange(0, 6)) + shift for _ in range(rows)]
    else:
        values = [rng.gauss(10 + shift, 3) for _ in range(rows)]
    return pd.Series([v if rng.random() > 0.1 else None for v in values], dtype="float64")


def _categories(rng: random.Random, rows: int, extra: bool) -> pd.Series:
    codes = ["6e", "5e", "4e", "3e", *(["2nde"] if extra else [])]
    return pd.Series([rng.choice([*codes, None]) for _ in range(rows)], dtype="string")


@pytest.mark.parametrize("seed", range(20))
def test_psi_from_counts_is_the_per_row_psi_bit_for_bit(seed: int) -> None:
    rng = random.Random(seed)
    reference, current = _numbers(rng, 400, 0.0), _numbers(rng, rng.randrange(1, 300), 1.5)
    assert population_stability_index(reference, current) == per_row_psi(reference, current)
    reference, current = _categories(rng, 300, False), _categories(rng, 200, rng.random() < 0.5)
    assert population_stability_index(reference, current, categorical=True) == per_row_psi(
        reference, current, categorical=True
    )
    with pytest.raises(ValueError, match="rows in both"):
        population_stability_index(reference, current.iloc[:0], categorical=True)


def _week(rows: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "unjustified_absences_ytd": rng.poisson(4, rows) + shift,
            "grade_mean_ytd": np.where(rng.random(rows) < 0.1, np.nan, rng.normal(11, 3, rows)),
            "level": pd.Series(rng.choice(["6e", "5e", "4e", "3e"], rows), dtype="string"),
        }
    )
    frame.loc[rng.random(rows) < 0.05, "level"] = None
    return frame


def _score(rows: pd.DataFrame) -> np.ndarray:
    return (rows["unjustified_absences_ytd"].to_numpy(dtype=float) / 40).clip(0, 1)


@pytest.mark.parametrize("seed", range(5))
def test_a_week_counted_part_by_part_has_the_psi_of_the_whole(seed: int) -> None:
    reference, week = _week(3000, seed, 0.0), _week(2000, seed + 100, 1.0)
    cuts = sorted(random.Random(seed).sample(range(1, len(week)), 3))
    parts = [week.iloc[a:b] for a, b in zip([0, *cuts], [*cuts, len(week)], strict=True)]
    columns = {"unjustified_absences_ytd": False, "grade_mean_ytd": False, "level": True}
    whole = parts_psi(reference, [week], columns, score=_score)
    assert parts_psi(reference, iter(parts), columns, score=_score) == whole
    assert whole[0]["level"] == per_row_psi(reference["level"], week["level"], categorical=True)
    as_of = dt.date(2026, 3, 16)
    assert drift_section(
        reference, iter(parts), as_of, 0.25, score=_score, columns=list(week.columns)
    ) == drift_section(reference, week, as_of, 0.25, score=_score)


def test_a_partitioned_snapshot_is_read_one_academie_at_a_time(tmp_path: Path) -> None:
    folder = tmp_path / "features"
    folder.mkdir()
    weeks = {name: _week(50, number, 0.0) for number, name in enumerate(["Rennes", "Lille"])}
    for name, frame in weeks.items():
        pq.write_table(
            pa.Table.from_pandas(frame, preserve_index=False), folder / f"{name}.parquet"
        )
    lineage = WeekLineage(dt.date(2026, 3, 16), dt.date(2026, 3, 16), "m/1", "x", "x",
                          str(folder), folder_sha256(folder), "x", "x")  # fmt: skip
    columns, parts = lineage.feature_parts()
    assert columns == list(weeks["Lille"].columns)
    read = list(parts)
    assert len(read) == 2
    pd.testing.assert_frame_equal(read[0], weeks["Lille"])  # in file-name order
    pd.testing.assert_frame_equal(read[1], weeks["Rennes"])
    # Altered after the week was written: refused, as the whole snapshot is.
    pq.write_table(pa.Table.from_pandas(weeks["Lille"].iloc[:10]), folder / "Lille.parquet")
    with pytest.raises(Exception, match="altered"):
        lineage.feature_parts()
