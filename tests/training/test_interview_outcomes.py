"""Each interview's later status, read in the enrollments of a later extraction."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from training.interview_outcomes import interview_outcomes, outcome_report

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
