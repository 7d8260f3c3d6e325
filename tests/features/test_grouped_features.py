"""A feature set written ordered by a column, a row group per so many rows
(`features.store.write_grouped_features`, the week's snapshot): the file that the frame
sorted stably in pandas and cut into batches gives (`write_feature_batches`), byte for byte,
without the sensitive columns when the feature set has none."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from features.feature_set import FeatureSet
from features.store import read_features, write_feature_batches, write_grouped_features
from tests.features.test_feature_table import _query_like


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _feature_set(rows: int, seed: int, sensitive: bool) -> FeatureSet:
    frame = FeatureSet.from_frame(_query_like(rows, seed).to_pandas()).frame
    rng = np.random.default_rng(seed)
    # Few establishments, in no order, some with an accent: many ties to keep in order.
    frame["uai"] = rng.choice(["0750002B", "0130001É", "0750001A", "0690003C"], size=rows)
    whole = FeatureSet.from_frame(frame)
    if sensitive:
        return whole
    return FeatureSet(
        whole.frame.drop(columns=list(whole.sensitive_columns)),
        key_columns=whole.key_columns,
        context_columns=whole.context_columns,
        feature_columns=whole.feature_columns,
        sensitive_columns=(),
    )


def _through_pandas(feature_set: FeatureSet, group_rows: int) -> list[FeatureSet]:
    frame = feature_set.frame.sort_values("uai", kind="stable", ignore_index=True)
    return [
        FeatureSet(
            frame.iloc[start : start + group_rows],
            key_columns=feature_set.key_columns,
            context_columns=feature_set.context_columns,
            feature_columns=feature_set.feature_columns,
            sensitive_columns=feature_set.sensitive_columns,
        )
        for start in range(0, len(frame), group_rows)
    ]


@pytest.mark.parametrize(("rows", "group_rows"), [(1, 1), (257, 16), (300, 300), (301, 1000)])
@pytest.mark.parametrize("sensitive", [True, False])
def test_the_grouped_file_is_the_pandas_sorted_batches(
    tmp_path: Path, rows: int, group_rows: int, sensitive: bool
) -> None:
    feature_set = _feature_set(rows, seed=rows, sensitive=sensitive)
    grouped, pandas = tmp_path / "grouped.parquet", tmp_path / "pandas.parquet"
    written = write_grouped_features(feature_set, grouped, order_by="uai", group_rows=group_rows)
    assert written == write_feature_batches(_through_pandas(feature_set, group_rows), pandas)
    assert written == rows
    assert _sha256(grouped) == _sha256(pandas)
    metadata = pq.ParquetFile(grouped).metadata
    assert metadata.num_row_groups == -(-rows // group_rows)
    back = read_features(grouped)
    assert list(back.frame["uai"]) == sorted(feature_set.frame["uai"])
    # Within an establishment, the feature set's order.
    for uai, rows_of in back.frame.groupby("uai", sort=False):
        original = feature_set.frame.loc[feature_set.frame["uai"] == uai, "student_id"]
        assert list(rows_of["student_id"]) == list(original)
    assert back.sensitive_columns == feature_set.sensitive_columns


def test_no_row_gives_the_file_of_no_batch(tmp_path: Path) -> None:
    empty = _feature_set(5, seed=0, sensitive=True)
    empty = FeatureSet.from_frame(empty.frame.iloc[:0])
    grouped, pandas = tmp_path / "grouped.parquet", tmp_path / "pandas.parquet"
    assert write_grouped_features(empty, grouped, order_by="uai", group_rows=10) == 0
    assert write_feature_batches((), pandas) == 0
    assert _sha256(grouped) == _sha256(pandas)


def test_a_group_of_no_row_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="group_rows"):
        write_grouped_features(
            _feature_set(3, seed=1, sensitive=True), tmp_path / "x.parquet",
            order_by="uai", group_rows=0,
        )  # fmt: skip
    assert not (tmp_path / "x.parquet").exists()
