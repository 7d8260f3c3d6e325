"""Labels: the outcome of each row's school year, beside the features, and the known-on filter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.builder import build_features
from features.labels import LABEL_COLUMNS, attach_labels, known_before
from tests.features.conftest import (
    enrollment,
    establishment,
    exam,
    outcome,
    student,
    write_extraction,
)

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


# The fixed-horizon label (26 weeks), exit kinds and censoring, on hand-written students.
LYCEE = "0350002B"
SUMMER_END = D(2025, 8, 31)


def horizon_tables() -> dict[str, list[dict]]:
    """A leaves in January; B does not come back after the summer; C leaves after failing the
    bac pro; D moves out of the académie in February; E stays (next year enrolled); F has no
    outcome; G passes the bac and leaves with it; H completes the year and is not seen again."""
    y24, y25 = "2024-2025", "2025-2026"
    return {
        "establishments": [establishment(UAI), establishment(LYCEE, kind="lycee_pro")],
        "students": [student(name) for name in "ABCDEFGH"],
        "enrollments": [
            enrollment("A", y24, UAI, "4e", end_date=D(2025, 1, 15), exit_reason="dropped_out"),
            enrollment("B", y24, UAI, "4e", end_date=SUMMER_END, exit_reason="dropped_out"),
            enrollment("C", y24, LYCEE, "Tle_pro", end_date=SUMMER_END, exit_reason="dropped_out"),
            enrollment(
                "D", "2023-2024", UAI, "5e", end_date=D(2024, 7, 5), exit_reason="completed"
            ),
            enrollment("D", y24, UAI, "4e", end_date=D(2025, 2, 14), exit_reason="transferred"),
            enrollment("E", y24, UAI, "4e", end_date=SUMMER_END, exit_reason="completed"),
            enrollment("E", y25, UAI, "3e"),
            enrollment("F", y24, UAI, "4e"),
            enrollment("G", y24, LYCEE, "Tle", end_date=SUMMER_END, exit_reason="diploma"),
            enrollment("H", y24, UAI, "4e", end_date=SUMMER_END, exit_reason="completed"),
        ],
        "exams": [
            exam("C", D(2025, 7, 4), "bac_pro", "fail"),
            exam("G", D(2025, 7, 4), "bac_general", "pass"),
            exam("B", D(2025, 7, 9), "dnb", "fail"),  # the DNB is no qualification
        ],
        "outcomes": [
            outcome("A", y24, True, D(2025, 2, 20)),
            outcome("B", y24, True, D(2025, 9, 20)),
            outcome("C", y24, True, D(2025, 9, 25)),
            outcome("D", "2023-2024", False, D(2024, 10, 3)),
            outcome("D", y24, False, D(2025, 10, 3)),
            outcome("E", y24, False, D(2025, 10, 5)),
            outcome("G", y24, False, D(2025, 10, 5)),
            outcome("H", y24, False, D(2025, 10, 5)),
        ],
    }


def horizon_rows(rows: list[tuple[str, dt.date]]) -> pd.DataFrame:
    from features.calendar import school_year_of

    return pd.DataFrame(
        {
            "student_id": [name for name, _ in rows],
            "as_of": pd.to_datetime([day for _, day in rows]),
            "school_year": [school_year_of(day) for _, day in rows],
        },
        index=pd.RangeIndex(10, 10 + len(rows)),
    )


@pytest.fixture
def horizon_folder(tmp_path: Path) -> Path:
    return write_extraction(tmp_path, horizon_tables())


def horizon(folder: Path, rows: list[tuple[str, dt.date]]) -> pd.DataFrame:
    from features.labels import horizon_labels

    frame = horizon_rows(rows)
    result = horizon_labels(frame, folder, observed_until=D(2025, 11, 20))
    assert result.index.equals(frame.index)
    return pd.concat([frame, result], axis=1).set_index(["student_id", "as_of"])


def test_a_leaving_counts_within_26_weeks_the_same_in_september_as_in_may(
    horizon_folder: Path,
) -> None:
    labels = horizon(
        horizon_folder,
        [("A", D(2024, 9, 9)), ("A", D(2025, 1, 13)), ("B", D(2024, 12, 2)),
         ("B", D(2025, 3, 10)), ("B", D(2025, 2, 24))],
    )  # fmt: skip
    label = labels["label"]
    assert label[("A", pd.Timestamp(2024, 9, 9))] == 1.0  # leaves 16 January, within 26 weeks
    assert label[("A", pd.Timestamp(2025, 1, 13))] == 1.0
    known = labels["label_horizon_known_on"]
    assert known[("A", pd.Timestamp(2024, 9, 9))] == pd.Timestamp(2025, 2, 20)  # its outcome
    # Not coming back counts on 1 September 2025, the first day of the next school year.
    assert label[("B", pd.Timestamp(2024, 12, 2))] == 0.0  # 2 June 2025: still enrolled
    assert known[("B", pd.Timestamp(2024, 12, 2))] == pd.Timestamp(2025, 6, 2)
    assert label[("B", pd.Timestamp(2025, 3, 10))] == 1.0  # up to 8 September 2025
    assert label[("B", pd.Timestamp(2025, 2, 24))] == 0.0  # up to 25 August 2025
    assert not labels["censored"].any()
    # The exit a 1 counts, with its kind; none for a 0.
    counted = labels.loc[("B", pd.Timestamp(2025, 3, 10))]
    assert counted["label_exit_date"] == pd.Timestamp(SUMMER_END)
    assert counted["label_exit_kind"] == "no_return"
    assert labels.loc[("A", pd.Timestamp(2024, 9, 9)), "label_exit_kind"] == "during_year"
    assert (
        labels.loc[labels["label"] == 0, ["label_exit_date", "label_exit_kind"]].isna().all().all()
    )


def test_staying_across_the_summer_is_known_with_the_yearly_outcome(horizon_folder: Path) -> None:
    labels = horizon(
        horizon_folder, [("E", D(2025, 3, 10)), ("E", D(2025, 6, 2)), ("G", D(2025, 3, 10))]
    )
    assert labels.loc[("E", pd.Timestamp(2025, 3, 10)), "label"] == 0.0
    assert labels.loc[("E", pd.Timestamp(2025, 3, 10)), "label_horizon_known_on"] == (
        pd.Timestamp(2025, 10, 5)
    )
    # Up to 1 December 2025, after the extraction's last observed day: not yet observed.
    june = labels.loc[("E", pd.Timestamp(2025, 6, 2))]
    assert june["censored"] and june["censor_reason"] == "not_yet_observed"
    assert np.isnan(june["label"]) and pd.isna(june["label_horizon_known_on"])
    # A diploma is the qualification: leaving with it is never a dropout.
    assert labels.loc[("G", pd.Timestamp(2025, 3, 10)), "label"] == 0.0


def test_leaving_the_academie_or_an_unknown_fate_censors_never_a_negative(
    horizon_folder: Path,
) -> None:
    labels = horizon(
        horizon_folder,
        [("D", D(2024, 12, 2)), ("D", D(2024, 3, 4)), ("F", D(2024, 12, 2)), ("H", D(2025, 3, 10))],
    )  # fmt: skip
    moved = labels.loc[("D", pd.Timestamp(2024, 12, 2))]
    assert moved["censored"] and moved["censor_reason"] == "left_academie"
    assert np.isnan(moved["label"])
    # Before the move, with the whole horizon observed (to 2 September 2024): a negative.
    earlier = labels.loc[("D", pd.Timestamp(2024, 3, 4))]
    assert earlier["label"] == 0.0 and not earlier["censored"]
    assert labels.loc[("F", pd.Timestamp(2024, 12, 2)), "censor_reason"] == "no_outcome"
    assert labels.loc[("H", pd.Timestamp(2025, 3, 10)), "censor_reason"] == "unknown_fate"
    assert labels["censored"].eq(labels["label"].isna()).all()


def test_each_dropout_exit_has_one_kind(horizon_folder: Path) -> None:
    from features.labels import EXIT_KINDS, dropout_exits

    exits = dropout_exits(horizon_folder).set_index("student_id")
    assert sorted(exits.index) == ["A", "B", "C"]
    assert exits.loc["A", "exit_kind"] == "during_year"
    assert exits.loc["B", "exit_kind"] == "no_return"  # a failed DNB is no qualifying exam
    assert exits.loc["C", "exit_kind"] == "after_exam_failure"
    assert exits.loc["A", "exit_date"] == pd.Timestamp(2025, 1, 15)
    assert set(exits["exit_kind"]) <= set(EXIT_KINDS)


def test_censored_rows_are_counted_apart_by_reason(horizon_folder: Path) -> None:
    from features.labels import censoring_counts

    rows = [("A", D(2024, 9, 9)), ("D", D(2024, 12, 2)), ("F", D(2024, 12, 2)),
            ("F", D(2025, 1, 6)), ("E", D(2025, 6, 2))]  # fmt: skip
    labels = horizon(horizon_folder, rows).reset_index()
    counts = censoring_counts(labels)
    assert counts.loc[("2024-2025", "labelled"), "rows"] == 1
    assert counts.loc[("2024-2025", "left_academie"), "students"] == 1
    assert counts.loc[("2024-2025", "no_outcome"), "rows"] == 2
    assert counts.loc[("2024-2025", "no_outcome"), "students"] == 1
    assert counts.loc[("2024-2025", "not_yet_observed"), "rows"] == 1
    assert counts["rows"].sum() == len(rows)
