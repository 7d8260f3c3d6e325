"""The interview outcome report through the service layer: an inspector reads every
establishment, a watch unit its own only, and never what became of a student after the
student moved to another school (over time: the move comes after the interview); counts
under the small-cell rule masked; every read audited."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from serving.db.models import AuditEntry, Interview, Student
from serving.services import AccessDenied
from serving.services.interview_outcomes import get_interview_outcomes
from tests.serving.conftest import HOME_UAI, OTHER_UAI, World, make_actor

AS_OF = dt.date(2026, 6, 1)
HELD = dt.date(2025, 11, 3)
# At the home school: 6 students left, 6 still enrolled, 5 who left and came back to the
# home school, 5 who moved to the other school and then left there. At the other school, 5
# still enrolled.
PLAN = {
    "L": (HOME_UAI, "aar", 6),
    "E": (HOME_UAI, "tutoring", 6),
    "B": (HOME_UAI, "morea", 5),
    "M": (HOME_UAI, "morea", 5),
    "Q": (OTHER_UAI, "insertion", 5),
}


def _enrollments(prefix: str, student_id: str, uai: str) -> list[dict[str, object]]:
    start = dt.date(2025, 9, 1)
    if prefix == "L":
        return [
            dict(
                student_id=student_id,
                uai=uai,
                start_date=start,
                end_date=dt.date(2026, 2, 6),
                exit_reason="dropped_out",
            )
        ]
    if prefix == "B":
        return [
            dict(
                student_id=student_id,
                uai=uai,
                start_date=start,
                end_date=dt.date(2026, 1, 9),
                exit_reason="dropped_out",
            ),
            dict(
                student_id=student_id,
                uai=uai,
                start_date=dt.date(2026, 3, 2),
                end_date=None,
                exit_reason=None,
            ),
        ]
    if prefix == "M":
        return [
            dict(
                student_id=student_id,
                uai=uai,
                start_date=start,
                end_date=dt.date(2025, 12, 19),
                exit_reason="transferred",
            ),
            dict(
                student_id=student_id,
                uai=OTHER_UAI,
                start_date=dt.date(2026, 1, 5),
                end_date=dt.date(2026, 3, 20),
                exit_reason="dropped_out",
            ),
        ]
    return [dict(student_id=student_id, uai=uai, start_date=start, end_date=None,
                 exit_reason=None)]  # fmt: skip


@pytest.fixture
def records(world: World) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    with world.store.transaction() as session:
        for prefix, (uai, solution, count) in PLAN.items():
            for number in range(count):
                student_id = f"{prefix}{number:03d}"
                session.add(Student(student_id=student_id))
                session.flush()
                session.add(Interview(
                    student_id=student_id, uai=uai, status="held", interview_date=HELD,
                    solution=solution, created_by="cpe", updated_by="cpe",
                ))  # fmt: skip
                rows.extend(_enrollments(prefix, student_id, uai))
        # Not held: not in the report.
        session.add(Interview(student_id="H001", uai=HOME_UAI, status="invited",
                              created_by="cpe", updated_by="cpe"))  # fmt: skip
    return pd.DataFrame(rows)


def test_an_inspector_reads_every_establishment_with_the_later_statuses(
    world: World, records: pd.DataFrame
) -> None:
    report = get_interview_outcomes(world.store, make_actor("inspector"), records, AS_OF)
    assert report.interviews == 27
    assert report.establishments == (OTHER_UAI, HOME_UAI)
    home = report.by_establishment.loc[HOME_UAI]
    assert (home["left"], home["still_enrolled"]) == (11, 6)
    # No status is unknown (0, masked), so the next smallest (5 back in training) is masked
    # too: otherwise the total minus the others would give the 0 back.
    assert pd.isna(home["unknown"]) and pd.isna(home["back_in_training"])
    assert home["interviews"] == 22 and home["left_share"] == pytest.approx(11 / 22)
    assert "elsewhere" not in report.by_establishment.columns
    morea = report.by_solution.loc["morea"]
    assert (morea["left"], morea["back_in_training"]) == (5, 5)
    # A count under 5 is not published (0 included), nor one the total would give back.
    assert pd.isna(report.by_solution.loc["aar", "unknown"])
    assert report.to_dict()["by_solution"][0]["solution"] == "aar"


def test_a_watch_unit_reads_its_own_school_and_not_what_became_of_who_moved(
    world: World, records: pd.DataFrame
) -> None:
    home = make_actor("watch_unit", HOME_UAI)
    report = get_interview_outcomes(world.store, home, records, AS_OF)
    assert report.establishments == (HOME_UAI,)
    row = report.by_establishment.loc[HOME_UAI]
    # The five who moved and left at the other school are `elsewhere`, not `left`.
    assert (row["left"], row["elsewhere"], row["interviews"]) == (6, 5, 22)
    assert "insertion" not in report.by_solution.index
    # Before the move (known up to mid-December) the home school reads them as enrolled.
    early = get_interview_outcomes(world.store, home, records, dt.date(2025, 12, 15))
    assert early.by_establishment.loc[HOME_UAI, "still_enrolled"] == 22
    assert "elsewhere" not in early.by_establishment.columns
    # The other school's report holds no interview of the home school, moved students
    # included (they are its students now).
    other = get_interview_outcomes(world.store, make_actor("watch_unit", OTHER_UAI), records, AS_OF)
    assert other.establishments == (OTHER_UAI,) and other.interviews == 5


def test_refusals_and_reads_are_audited(world: World, records: pd.DataFrame) -> None:
    with pytest.raises(AccessDenied, match="not in your scope"):
        get_interview_outcomes(
            world.store, make_actor("watch_unit", OTHER_UAI), records, AS_OF, HOME_UAI
        )
    with pytest.raises(AccessDenied, match="not for this role"):
        get_interview_outcomes(world.store, make_actor("data_scientist"), records, AS_OF)
    get_interview_outcomes(world.store, make_actor("inspector"), records, AS_OF, HOME_UAI)
    with world.store.reading() as session:
        entries = session.execute(
            select(AuditEntry.outcome, AuditEntry.uai, AuditEntry.detail)
            .where(AuditEntry.action == "read_interview_outcomes").order_by(AuditEntry.id)
        ).all()  # fmt: skip
    assert [tuple(e)[:2] for e in entries] == [
        ("denied", HOME_UAI),
        ("denied", None),
        ("allowed", HOME_UAI),
    ]
    assert entries[-1][2] == "as of 2026-06-01: 22 interviews"


def test_the_contracts_solutions_are_the_stores() -> None:
    # The optional `interviews` table of an extraction and the store speak the same words.
    from features.contract import CODES
    from serving.db.vocabulary import INTERVIEW_SOLUTIONS

    assert CODES["interview_solution"] == INTERVIEW_SOLUTIONS
