"""Each interview's later status, read in the enrollments of a later extraction."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from training.fairness.report import SMALL_CELL
from training.interview_outcomes import (
    hide_moves,
    interview_outcomes,
    outcome_report,
    published_report,
)

AS_OF = dt.date(2026, 6, 1)


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    interviews = pd.DataFrame({
        "interview_id": [1, 2, 3, 4, 5],
        "student_id": ["S1", "S2", "S3", "S4", "S5"],
        "uai": ["0350001A", "0350001A", "0350002B", "0350002B", "0350002B"],
        "interview_date": pd.to_datetime(["2025-11-03", "2025-11-10", "2025-12-01",
                                          "2026-01-12", "2026-01-12"]),
        "solution": ["tutoring", "aar", "return_to_training", None, "tutoring"],
    })  # fmt: skip
    enrollments = pd.DataFrame({
        "student_id": ["S1", "S2", "S3", "S3", "S4", "S5"],
        "start_date": pd.to_datetime(["2025-09-01", "2025-09-01", "2025-09-01", "2026-02-02",
                                      "2025-09-01", "2025-09-01"]),
        # S4 left before the interview was held: that exit is not a later status.
        "end_date": pd.to_datetime(["2026-03-20", None, "2026-01-09", None, "2026-01-05",
                                    "2026-07-03"]),
        "exit_reason": ["dropped_out", None, "dropped_out", None, "dropped_out", "completed"],
    })  # fmt: skip
    return interviews, enrollments


def test_each_interview_gets_its_later_status() -> None:
    linked = interview_outcomes(*_frames(), AS_OF)
    assert linked["later_status"].astype(str).tolist() == [
        "left", "still_enrolled", "back_in_training", "unknown", "still_enrolled",
    ]  # fmt: skip
    assert linked["status_date"].tolist()[:3] == [
        pd.Timestamp("2026-03-20"), pd.NaT, pd.Timestamp("2026-02-02"),
    ]  # fmt: skip


def test_records_after_the_cut_are_not_read() -> None:
    linked = interview_outcomes(*_frames(), dt.date(2026, 1, 31))
    # S1 left in March and S3 came back in February: neither is known on 31 January.
    assert linked["later_status"].astype(str).tolist()[:3] == [
        "still_enrolled", "still_enrolled", "left",
    ]  # fmt: skip


def test_reports_per_establishment_and_per_solution() -> None:
    linked = interview_outcomes(*_frames(), AS_OF)
    by_uai = outcome_report(linked, "uai")
    assert by_uai.loc["0350001A", ["left", "still_enrolled", "interviews"]].tolist() == [1, 1, 2]
    assert by_uai.loc["0350002B", "left_share"] == 0
    by_solution = outcome_report(linked, "solution")
    assert by_solution.loc["tutoring", "interviews"] == 2
    assert by_solution.loc["tutoring", "left_share"] == pytest.approx(0.5)
    assert by_solution.loc["none", "unknown"] == 1
    with pytest.raises(ValueError, match="by 'uai' or 'solution'"):
        outcome_report(linked, "level")


def test_bad_input_is_named() -> None:
    interviews, enrollments = _frames()
    with pytest.raises(
        ValueError, match=r"table 'enrollments' has no column\(s\) \['exit_reason'\]"
    ):
        interview_outcomes(interviews, enrollments.drop(columns="exit_reason"), AS_OF)
    undated = interviews.assign(interview_date=interviews["interview_date"].where(
        interviews.index != 2))  # fmt: skip
    with pytest.raises(ValueError, match="row 2: an interview held has no interview_date"):
        interview_outcomes(undated, enrollments, AS_OF)


def test_a_reader_of_one_establishment_does_not_learn_what_became_of_a_student_who_moved() -> None:
    interviews, enrollments = _frames()
    # S3 was interviewed at 0350002B, left, then came back in 0350009Z (another school).
    enrollments = enrollments.assign(uai=["0350001A", "0350001A", "0350002B", "0350009Z",
                                          "0350002B", "0350002B"])  # fmt: skip
    linked = interview_outcomes(interviews, enrollments, AS_OF)
    assert linked.loc[2, "later_status"] == "back_in_training"  # the inspector's reading
    scoped = hide_moves(linked, enrollments, frozenset({"0350001A", "0350002B"}), AS_OF)
    assert scoped["later_status"].astype(str).tolist() == [
        "left", "still_enrolled", "elsewhere", "unknown", "still_enrolled",
    ]  # fmt: skip
    assert pd.isna(scoped.loc[2, "status_date"])
    report = outcome_report(scoped, "uai")
    assert report.loc["0350002B", ["back_in_training", "elsewhere"]].tolist() == [0, 1]
    # Known only from its start day on: read before the move, nothing is hidden.
    before = interview_outcomes(interviews, enrollments, dt.date(2026, 1, 31))
    kept = hide_moves(before, enrollments, frozenset({"0350002B"}), dt.date(2026, 1, 31))
    assert kept.loc[2, "later_status"] == "left"
    # A move before the interview is not a move away from the interviewing school.
    assert "elsewhere" not in outcome_report(linked, "uai").columns


def _linked(statuses: dict[str, int]) -> pd.DataFrame:
    rows = [status for status, count in statuses.items() for _ in range(count)]
    return pd.DataFrame({
        "uai": "0350001A", "solution": "aar",
        "later_status": pd.Categorical(rows, categories=[
            "still_enrolled", "back_in_training", "left", "unknown", "elsewhere"]),
    })  # fmt: skip


def test_small_counts_are_masked_and_cannot_be_recomputed_from_the_total() -> None:
    assert SMALL_CELL == 5
    report = outcome_report(_linked({"still_enrolled": 9, "left": 6, "unknown": 2}), "solution")
    published = published_report(report)
    row = published.loc["aar"]
    assert row["still_enrolled"] == 9 and row["left"] == 6 and row["interviews"] == 17
    assert row["left_share"] == pytest.approx(6 / 17)
    # unknown (2) is masked, and so is back_in_training (0, the next smallest), else the
    # total minus the others would give unknown back.
    assert pd.isna(row["unknown"]) and pd.isna(row["back_in_training"])
    small = published_report(
        outcome_report(_linked({"still_enrolled": 3, "left": 1}), "solution")
    ).loc["aar"]
    assert small.isna().all()  # a total under 5: nothing shown, no share either
