"""Labels: the outcome of each row's school year, beside the features, and the known-on filter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.builder import build_features
from features.labels import LABEL_COLUMNS, attach_labels, known_before
from tests.features.conftest import enrollment, establishment, outcome, student, write_extraction

D = dt.date
UAI = "0350001A"


def tables() -> dict[str, list[dict]]:
    """P dropped out in 2024-2025 (known in October 2025); Q stayed (known in July 2025) and
    has an outcome for 2023-2024 too; R has no outcome."""
    return {
        "establishments": [establishment(UAI)],
        "students": [student("P"), student("Q"), student("R")],
        "enrollments": [
            enrollment("P", "2024-2025", UAI, "4e"),
            enrollment("Q", "2023-2024", UAI, "5e", end_date=D(2024, 7, 5)),
            enrollment("Q", "2024-2025", UAI, "4e"),
            enrollment("R", "2024-2025", UAI, "4e"),
        ],
        "outcomes": [
            outcome("P", "2024-2025", True, D(2025, 10, 1)),
            outcome("Q", "2024-2025", False, D(2025, 7, 10)),
            outcome("Q", "2023-2024", True, D(2024, 7, 10)),
        ],
    }


@pytest.fixture
def labelled(tmp_path: Path) -> pd.DataFrame:
    folder = write_extraction(tmp_path, tables())
    features = build_features(folder, [D(2024, 3, 4), D(2024, 12, 2)])
    frame = attach_labels(features, folder)
    return frame.set_index(["student_id", "as_of"])


def test_each_row_gets_the_outcome_of_its_own_school_year(labelled: pd.DataFrame) -> None:
    dec = pd.Timestamp(D(2024, 12, 2))
    assert labelled.loc[("P", dec), "label_dropped_out"] == 1.0
    assert labelled.loc[("P", dec), "label_known_on"] == pd.Timestamp(D(2025, 10, 1))
    assert labelled.loc[("Q", dec), "label_dropped_out"] == 0.0
    assert labelled.loc[("Q", pd.Timestamp(D(2024, 3, 4))), "label_dropped_out"] == 1.0
    assert pd.isna(labelled.loc[("R", dec), "label_dropped_out"])
    assert pd.isna(labelled.loc[("R", dec), "label_known_on"])


def test_labels_sit_beside_the_features_never_among_them(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path, tables())
    features = build_features(folder, [D(2024, 12, 2)])
    frame = attach_labels(features, folder)
    assert not set(LABEL_COLUMNS) & set(features.feature_columns)
    assert list(frame.columns[: len(features.frame.columns)]) == list(features.frame.columns)
    pd.testing.assert_frame_equal(frame[list(features.frame.columns)], features.frame)
    with pytest.raises(ValueError, match="already has label columns"):
        attach_labels(frame, folder)


def test_known_before_keeps_rows_whose_outcome_was_known_before_the_cutoff(
    labelled: pd.DataFrame,
) -> None:
    kept = known_before(labelled, D(2025, 10, 1))
    assert sorted(kept.index) == [
        ("Q", pd.Timestamp(D(2024, 3, 4))),
        ("Q", pd.Timestamp(D(2024, 12, 2))),
    ]
    assert len(known_before(labelled, D(2025, 10, 2))) == 3  # P known on 1 October now counts
    with pytest.raises(ValueError, match="attach_labels"):
        known_before(labelled.drop(columns="label_known_on"), D(2025, 10, 1))


def test_attach_labels_refuses_an_extraction_without_outcomes(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path, tables())
    features = build_features(folder, [D(2024, 12, 2)])
    (folder / "outcomes.csv").unlink()
    with pytest.raises(ValueError, match="no readable outcomes"):
        attach_labels(features, folder)
