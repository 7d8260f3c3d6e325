"""The week lineage's reads (a student's events and suggested solutions from the week's
extraction, the waterfall from its contributions, the class filter from its snapshot, the
family notice) as another school's watch unit would try them: they follow the student
record's rule (the establishment the student is enrolled in on the day of the request, and a
week's rows only through the establishment that listed them), before and after a move and
after the week is written again; an id of another school's student gets the refusal of an
unknown id, audited; the stop switch answers only to a reader in scope."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from serving.db import Store, open_store
from serving.db.enrollments import current_establishment
from serving.db.models import AuditEntry, ListEntry, WeeklyList
from serving.lineage import WeekDataUnavailable
from serving.scoring import RegisteredModel, score_week
from serving.services import AccessDenied, NotFound, Suspended, get_student_record
from serving.services.actor import Actor
from serving.services.dashboard_explain import get_student_waterfall
from serving.services.dashboard_history import get_levels_and_classes, get_student_events
from serving.services.notice import issue_notice
from serving.services.retention import purge
from serving.services.solutions import get_student_solutions
from serving.services.suspensions import resume, suspend

from .conftest import make_actor
from .test_scoring_support import AS_OF, academie, registered, risk_model

__all__ = ["academie", "registered", "risk_model"]  # fixtures

EARLIER = AS_OF - dt.timedelta(weeks=1)
LAST_DAY_THERE = AS_OF - dt.timedelta(days=4)  # the Thursday between the two weeks
FIRST_DAY_HERE = AS_OF - dt.timedelta(days=3)
MOVED = 40  # students of the first school moved to the second between the two weeks
OPERATOR = make_actor("admin")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{home / 'serving' / 'store.sqlite3'}")
    yield opened
    opened.dispose()


def _schools(extraction: Path) -> tuple[str, str]:
    enrollments = pd.read_parquet(extraction / "enrollments.parquet")
    uais = sorted(enrollments.loc[enrollments["school_year"] == "2026-2027", "uai"].unique())
    return uais[0], uais[1]


@pytest.fixture
def moved(academie: Path, tmp_path: Path) -> tuple[Path, str, str, list[str]]:
    """A copy of the académie where `MOVED` students enrolled at the first school this year
    leave it on `LAST_DAY_THERE` for the second school (same level and class name), from
    `FIRST_DAY_HERE`: (extraction, first school, second school, the moved students)."""
    copy = tmp_path / "extraction"
    shutil.copytree(academie, copy)
    path = copy / "enrollments.parquet"
    enrollments = pd.read_parquet(path)
    first, second = _schools(copy)
    this_year = (enrollments["school_year"] == "2026-2027") & (enrollments["uai"] == first)
    staying = this_year & enrollments["end_date"].isna()
    students = sorted(enrollments.loc[staying, "student_id"].unique())[:MOVED]
    leaving = staying & enrollments["student_id"].isin(students)
    arriving = enrollments[leaving].copy()
    arriving["uai"] = second
    arriving["start_date"] = pd.Timestamp(FIRST_DAY_HERE).date()
    enrollments.loc[leaving, "end_date"] = pd.Timestamp(LAST_DAY_THERE).date()
    enrollments.loc[leaving, "exit_reason"] = "transferred"
    arriving = arriving.astype(enrollments.dtypes.to_dict())
    pd.concat([enrollments, arriving], ignore_index=True).to_parquet(path, index=False)
    return copy, first, second, students


def _listed(store: Store, week: dt.date) -> dict[str, str]:
    with store.reading() as session:
        rows = session.execute(
            select(ListEntry.student_id, WeeklyList.uai)
            .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
            .where(WeeklyList.week == week)
        )
        return {student_id: uai for student_id, uai in rows}


def _denied(store: Store, username: str) -> list[tuple[str, str | None]]:
    with store.reading() as session:
        return [
            (action, student_id)
            for action, student_id in session.execute(
                select(AuditEntry.action, AuditEntry.student_id)
                .where(AuditEntry.outcome == "denied", AuditEntry.username == username)
                .order_by(AuditEntry.id)
            )
        ]


def _reads(model: RegisteredModel) -> dict[str, Callable[[Store, Actor, str, dt.date], object]]:
    """Every read about one student and one week, by the name it is audited under."""

    def waterfall(store: Store, actor: Actor, student: str, week: dt.date) -> object:
        return get_student_waterfall(store, actor, student, week, lambda _: model.model)

    return {
        "read_student": lambda store, actor, student, _: get_student_record(store, actor, student),
        "read_student_events": get_student_events,
        "read_explanation": waterfall,
        "issue_notice": issue_notice,
        # The suggested solutions on the week's date (facts from the latest week's extraction).
        "read_solutions": get_student_solutions,
    }


def _refusal(read: Callable[..., object], *arguments: object) -> str:
    with pytest.raises(AccessDenied) as refused:
        read(*arguments)
    return str(refused.value)


@pytest.fixture
def written(
    moved: tuple[Path, str, str, list[str]], registered: RegisteredModel, store: Store, home: Path
) -> tuple[str, str, str]:
    """Both weeks scored (a low watch threshold: many listed); (first school, second
    school, a moved student listed by the first school before the move and by the second
    after it)."""
    extraction, first, second, students = moved
    for week in (EARLIER, AS_OF):
        score_week(extraction, week, store, registered, home=home, watch_threshold=0.02)
    before, after = _listed(store, EARLIER), _listed(store, AS_OF)
    both = [s for s in students if before.get(s) == first and after.get(s) == second]
    assert both, "a moved student listed on both sides of the move"
    with store.reading() as session:
        assert current_establishment(session, both[0]) == second
    return first, second, both[0]


def test_the_former_school_reads_nothing_about_a_student_who_moved_even_of_its_own_weeks(
    written: tuple[str, str, str], registered: RegisteredModel, store: Store
) -> None:
    first, second, student = written
    former, current = make_actor("watch_unit", first), make_actor("watch_unit", second)
    reads = _reads(registered)
    for name, read in reads.items():
        for week in (EARLIER, AS_OF):
            # The same refusal as for an id that exists nowhere.
            assert _refusal(read, store, former, student, week) == _refusal(
                read, store, former, "NOPE42", week
            ), name
    assert _denied(store, former.username) == [
        (name, student_id)
        for name in reads
        for _ in (EARLIER, AS_OF)
        for student_id in (student, "NOPE42")
    ]
    # Its own past list: the student is still in its week's class filter (shown under a
    # pseudonym on the list), not in the week after the move.
    assert student in set(get_levels_and_classes(store, former, first, EARLIER)["student_id"])
    assert student not in set(get_levels_and_classes(store, former, first, AS_OF)["student_id"])
    # The new school: its own week in full; the former school's week neither through the
    # waterfall nor the notice (read only through the establishment that listed them), nor
    # through its class filter.
    get_student_waterfall(store, current, student, AS_OF, lambda _: registered.model)
    assert issue_notice(store, current, student, AS_OF).uai == second
    # Its suggestions too, of any date: the student is enrolled (moved, not gone) either side.
    for day in (EARLIER, AS_OF):
        facts = get_student_solutions(store, current, student, day).facts
        assert facts.enrolled and facts.months_since_leaving is None
    for read in (reads["read_explanation"], reads["issue_notice"]):
        with pytest.raises(AccessDenied):
            read(store, current, student, EARLIER)
    assert student not in set(get_levels_and_classes(store, current, second, EARLIER)["student_id"])
    with pytest.raises(AccessDenied):
        get_levels_and_classes(store, current, first, EARLIER)


def test_a_past_week_written_again_after_the_move_changes_nobodys_access(
    written: tuple[str, str, str],
    moved: tuple[Path, str, str, list[str]],
    registered: RegisteredModel,
    store: Store,
    home: Path,
) -> None:
    first, second, student = written
    extraction = moved[0]
    before = _listed(store, EARLIER)
    # The past week scored again after the move, with a different threshold (other lists).
    score_week(extraction, EARLIER, store, registered, home=home, watch_threshold=0.05)
    after = _listed(store, EARLIER)
    assert after != before
    assert {s: u for s, u in after.items() if s in before} == {
        s: before[s] for s in after if s in before
    }  # nobody changed school on the week's lists
    former, current = make_actor("watch_unit", first), make_actor("watch_unit", second)
    first_classes = set(get_levels_and_classes(store, former, first, EARLIER)["student_id"])
    second_classes = set(get_levels_and_classes(store, current, second, EARLIER)["student_id"])
    assert student in first_classes and student not in second_classes
    assert not first_classes & second_classes
    for name, read in _reads(registered).items():
        with pytest.raises(AccessDenied):
            read(store, former, student, EARLIER)
        if name in ("read_explanation", "issue_notice") and after.get(student) == first:
            with pytest.raises(AccessDenied):
                read(store, current, student, EARLIER)


def test_probing_another_schools_ids_looks_like_probing_unknown_ids(
    written: tuple[str, str, str], registered: RegisteredModel, store: Store
) -> None:
    first, second, _ = written
    listed = _listed(store, AS_OF)
    elsewhere = next(s for s, u in sorted(listed.items()) if u == second)
    prober = make_actor("watch_unit", first)
    for name, read in _reads(registered).items():
        for week in (EARLIER, AS_OF, dt.date(2020, 1, 6)):  # a week never written too
            assert _refusal(read, store, prober, elsewhere, week) == _refusal(
                read, store, prober, "NOPE42", week
            ), name
    assert _refusal(get_levels_and_classes, store, prober, second, AS_OF) == _refusal(
        get_levels_and_classes, store, prober, "0000000X", AS_OF
    )
    denied = _denied(store, prober.username)
    assert len(denied) == len(_reads(registered)) * 3 * 2 + 2
    assert {student for _, student in denied} == {elsewhere, "NOPE42", None}


@pytest.mark.parametrize("everywhere", [False, True])
def test_a_suspended_list_serves_no_notice_and_tells_no_reason_out_of_scope(
    written: tuple[str, str, str], registered: RegisteredModel, store: Store, everywhere: bool
) -> None:
    first, second, student = written
    reason = "Alerte de dérive : vérification en cours"
    current, former = make_actor("watch_unit", second), make_actor("watch_unit", first)
    suspended = None if everywhere else second
    suspend(store, OPERATOR, suspended, reason)
    try:
        # The student's own school: the list, its explanation and its notice are not served.
        for name in ("read_student", "read_explanation", "issue_notice"):
            with pytest.raises(Suspended):
                _reads(registered)[name](store, current, student, AS_OF)
        # Anyone else: the refusal of an unknown id, never the suspension nor its reason.
        for read in _reads(registered).values():
            refusal = _refusal(read, store, former, student, AS_OF)
            assert refusal == _refusal(read, store, former, "NOPE42", AS_OF)
            assert reason not in refusal and second not in refusal
    finally:
        resume(store, OPERATOR, suspended, "fin de la vérification")
    assert issue_notice(store, current, student, AS_OF).uai == second


def test_after_a_purge_nothing_of_the_purged_week_is_read_by_anyone(
    written: tuple[str, str, str], registered: RegisteredModel, store: Store, home: Path
) -> None:
    first, second, student = written
    folder = home / "weeks" / EARLIER.isoformat()
    assert any(folder.iterdir())
    purge(store, OPERATOR, AS_OF, apply=True)  # the week before AS_OF goes
    assert not folder.exists() or not any(folder.iterdir())
    current, former = make_actor("watch_unit", second), make_actor("watch_unit", first)
    reads = _reads(registered)
    record = get_student_record(store, current, student)
    assert [point.week for point in record.history] == [AS_OF]
    for name in ("read_student_events", "read_explanation", "issue_notice"):
        with pytest.raises((WeekDataUnavailable, NotFound)):  # purged, or on no list now
            reads[name](store, current, student, EARLIER)
    for actor, uai in ((current, second), (former, first)):
        with pytest.raises(WeekDataUnavailable):
            get_levels_and_classes(store, actor, uai, EARLIER)
    # The former school: still the refusal of an unknown id, before and after the purge.
    for read in reads.values():
        assert _refusal(read, store, former, student, EARLIER) == _refusal(
            read, store, former, "NOPE42", EARLIER
        )
