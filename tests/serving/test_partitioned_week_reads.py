"""The pages that read a week's extraction, on a week scored from an extraction partitioned
by académie (`academie=NAME/` folders, scored here one académie after the other in the
process, as `vigie score` does without `--cluster`): the student-history events, the
suggested solutions, the suggestion recorded beside a choice and the MLDS leavers list read
the partition holding the establishment (`WeekLineage.extraction_of` / `extractions_of`) and
equal what the same reads give on the single-folder week of that académie; a missing or
altered partition is the same `WeekDataUnavailable` as a single folder's; an establishment in
no partition is a NotFound, never another académie's data; and access stays the store's,
over time (a student who moved, the week written again)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select, update

from features.partitions import find_partitions
from serving.db import Store, open_store
from serving.db.models import Enrollment, ListEntry, Student, WeeklyList, WeeklyRun
from serving.lineage import WEEKS_FOLDER, WeekDataUnavailable, WeekLineage, recorded_week
from serving.scoring import RegisteredModel, score_week
from serving.scoring.cluster import score_partitioned_week
from serving.services.actor import Actor
from serving.services.dashboard_history import StudentEvents, get_student_events
from serving.services.errors import AccessDenied, NotFound
from serving.services.inputs import InterviewChanges, NewInterview
from serving.services.interviews import record_interview, update_interview
from serving.services.leavers import get_leavers
from serving.services.solutions import get_student_solutions
from serving.solutions.recorded import latest_week, suggestion_for_choice
from tests.cluster.conftest import academies
from tests.cluster.test_cluster_scoring_support import AS_OF, NAMES, registered
from tests.serving.conftest import make_actor

__all__ = ["academies", "registered"]  # fixtures

TODAY = dt.date(2026, 11, 20)  # the day of the requests (pinned): after the week's as-of date
MOVED_ON = dt.date(2026, 11, 23)  # a student's new enrollment, in the store, from that day
LATER = dt.date(2026, 11, 25)  # a day of the request after the move


@dataclass
class Weeks:
    """The week of `AS_OF` scored from the partitioned extraction (`partitioned`, its home
    and extraction), and from each académie's folder alone (`single`, by name); the
    establishments of each académie."""

    partitioned: Store
    home: Path
    extraction: Path
    single: dict[str, Store]
    uais: dict[str, list[str]]


def _store(folder: Path) -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    return open_store(f"sqlite:///{folder / 'store.sqlite3'}")


def _listed_uais(store: Store) -> list[str]:
    with store.reading() as session:
        return sorted(set(session.scalars(select(WeeklyList.uai))))


@pytest.fixture(scope="module")
def weeks(
    academies: Path, registered: RegisteredModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Weeks]:
    root = tmp_path_factory.mktemp("partitioned-reads")
    extraction = root / "extraction"
    shutil.copytree(academies, extraction)  # a copy: the fault tests alter their own copy
    home = root / "partitioned"
    partitioned = _store(home)
    score_partitioned_week(extraction, AS_OF, partitioned, registered, home=home,
                           watch_threshold=0.2)  # fmt: skip
    single, uais = {}, {}
    for partition in find_partitions(extraction):
        assert partition.name is not None
        folder = root / f"single-{partition.name}"
        store = _store(folder)
        score_week(partition.path, AS_OF, store, registered, home=folder, watch_threshold=0.2)
        single[partition.name] = store
        uais[partition.name] = _listed_uais(store)
    assert sorted(single) == sorted(NAMES)
    yield Weeks(partitioned, home, extraction, single, uais)
    for store in (partitioned, *single.values()):
        store.dispose()


@pytest.fixture(autouse=True)
def pinned_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: TODAY)


def _listed(store: Store, uai: str) -> list[str]:
    """The students on the establishment's list of the week, by rank."""
    with store.reading() as session:
        return list(
            session.scalars(
                select(ListEntry.student_id)
                .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
                .where(WeeklyList.uai == uai)
                .order_by(ListEntry.rank)
            )
        )


def _frames(events: StudentEvents) -> list[pd.DataFrame]:
    return [events.absences, events.grades, events.exams]


def _missed(events: StudentEvents) -> int:
    """Half-days missed and lates over the school year."""
    return int(events.absences[["justified", "unjustified", "lates"]].to_numpy().sum())


def _assert_same_events(one: StudentEvents, other: StudentEvents) -> None:
    assert (one.student_id, one.school_year_start) == (other.student_id, other.school_year_start)
    for left, right in zip(_frames(one), _frames(other), strict=True):
        pd.testing.assert_frame_equal(left, right)


def _copy_store(weeks: Weeks, folder: Path, academie: str | None = None) -> Store:
    """A copy of the partitioned week's store and artifacts (or of `academie`'s single-folder
    week's) in `folder`: the copy is the test's to change, and to write the week again in
    (which removes the artifacts replaced)."""
    folder.mkdir(parents=True, exist_ok=True)
    original = weeks.partitioned if academie is None else weeks.single[academie]
    home = Path(str(original.engine.url.database)).parent
    target = folder / "store.sqlite3"
    source = sqlite3.connect(str(original.engine.url.database))
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    shutil.copytree(home / WEEKS_FOLDER, folder / WEEKS_FOLDER)
    store = open_store(f"sqlite:///{target}")
    old, new = str(home.resolve()), str(folder.resolve())
    with store.transaction() as session:
        for run in session.scalars(select(WeeklyRun)):
            run.features_path = str(run.features_path).replace(old, new)
            run.contributions_path = str(run.contributions_path).replace(old, new)
    return store


def _record_extraction(store: Store, extraction: Path, copy: Path) -> Path:
    """Copy `extraction` to `copy` and record the copy as the week's (same fingerprint)."""
    shutil.copytree(extraction, copy)
    with store.transaction() as session:
        session.execute(update(WeeklyRun).values(extraction_path=str(copy.resolve())))
    return copy


def _lineage(store: Store) -> WeekLineage:
    with store.reading() as session:
        return recorded_week(session, None)


def _move(store: Store, student_id: str, uai: str, since: dt.date) -> None:
    """The store learns that `student_id` is enrolled at `uai` from `since` (as the weekly
    run of a later week records it)."""
    with store.transaction() as session:
        if session.get(Student, student_id) is None:  # a leaver no list held
            session.add(Student(student_id=student_id))
            session.flush()
        session.add(Enrollment(student_id=student_id, uai=uai, start_date=since))


# --- the same reads as on the single-folder week ------------------------------------------


@pytest.mark.parametrize("academie", NAMES)
def test_student_events_equal_the_single_folder_weeks(weeks: Weeks, academie: str) -> None:
    uai = weeks.uais[academie][0]
    watch_unit = make_actor("watch_unit", uai)
    students = _listed(weeks.partitioned, uai)
    assert students == _listed(weeks.single[academie], uai)
    for student_id in students[:3]:
        events = get_student_events(weeks.partitioned, watch_unit, student_id, None)
        alone = get_student_events(weeks.single[academie], watch_unit, student_id, None)
        _assert_same_events(events, alone)
    # Real events were read: the students' absences of the school year are in the data.
    assert any(
        _missed(get_student_events(weeks.partitioned, watch_unit, student_id, None)) > 0
        for student_id in students
    )


@pytest.mark.parametrize("academie", NAMES)
def test_solutions_and_recorded_suggestion_equal_the_single_folder_weeks(
    weeks: Weeks, academie: str
) -> None:
    uai = weeks.uais[academie][-1]
    watch_unit = make_actor("watch_unit", uai)
    student_id = _listed(weeks.partitioned, uai)[0]
    view = get_student_solutions(weeks.partitioned, watch_unit, student_id, AS_OF)
    alone = get_student_solutions(weeks.single[academie], watch_unit, student_id, AS_OF)
    assert view == alone and view.student_id == student_id
    with weeks.partitioned.reading() as session:
        week = latest_week(session)
    with weeks.single[academie].reading() as session:
        single_week = latest_week(session)
    suggestion = suggestion_for_choice(week, student_id, uai, AS_OF)
    assert suggestion[1] is not None  # a suggestion was made, with the table's SHA-256
    assert suggestion == suggestion_for_choice(single_week, student_id, uai, AS_OF)
    # Asked through another académie's establishment, the student is not in its partition.
    other = next(name for name in NAMES if name != academie)
    assert suggestion_for_choice(week, student_id, weeks.uais[other][0], AS_OF) == (None, None)


def test_the_suggestion_recorded_beside_a_choice_equals_the_single_folder_weeks(
    weeks: Weeks, tmp_path: Path
) -> None:
    academie = NAMES[1]
    uai = weeks.uais[academie][0]
    watch_unit = make_actor("watch_unit", uai)
    student_id = _listed(weeks.partitioned, uai)[0]
    recorded = {}
    for name, which in (("partitioned", None), ("single", academie)):
        store = _copy_store(weeks, tmp_path / name, which)
        held = NewInterview(student_id=student_id, status="held", interview_date=AS_OF,
                            solution="tutoring")  # fmt: skip
        chosen = record_interview(store, watch_unit, held)
        changed = update_interview(store, watch_unit, chosen.id,
                                   InterviewChanges(solution="morea"))  # fmt: skip
        recorded[name] = (chosen.suggested_solutions, changed.suggested_solutions)
        store.dispose()
    assert recorded["partitioned"] == recorded["single"]
    assert all(suggested is not None for suggested in recorded["partitioned"])


def _leavers(store: Store, actor: Actor, as_of: dt.date = AS_OF) -> dict[str, object]:
    view = get_leavers(store, actor, as_of)
    return {leaver.student_id: leaver.model_dump() for leaver in view.leavers}


def test_leavers_equal_the_single_folder_weeks_also_across_academies(weeks: Weeks) -> None:
    lists = {}
    for academie in NAMES:
        mlds = make_actor("mlds", *weeks.uais[academie])
        lists[academie] = _leavers(weeks.partitioned, mlds)
        assert lists[academie] == _leavers(weeks.single[academie], mlds)
        assert lists[academie], f"no leaver in {academie}: the comparison would be empty"
    # A scope over both académies reads both partitions, their lists combined.
    both = make_actor("mlds", *weeks.uais[NAMES[0]], *weeks.uais[NAMES[1]])
    assert _leavers(weeks.partitioned, both) == lists[NAMES[0]] | lists[NAMES[1]]


# --- a week's data gone, or an establishment in no partition --------------------------------


@pytest.fixture
def altered(weeks: Weeks, tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    """A copy of the partitioned store whose week records a copy of the extraction (the
    test's to alter)."""
    store = _copy_store(weeks, tmp_path / "store")
    extraction = _record_extraction(store, weeks.extraction, tmp_path / "extraction")
    yield store, extraction
    store.dispose()


@pytest.mark.parametrize("fault", ["partition removed", "partition file changed", "all gone"])
def test_a_missing_or_altered_partition_refuses_every_read(
    weeks: Weeks, altered: tuple[Store, Path], fault: str
) -> None:
    store, extraction = altered
    academie = NAMES[0]
    uai = weeks.uais[academie][0]
    student_id = _listed(store, uai)[0]
    watch_unit = make_actor("watch_unit", uai)
    mlds = make_actor("mlds", *weeks.uais[academie])
    # Read once intact (the establishments' index is then kept for this extraction).
    get_student_events(store, watch_unit, student_id, None)
    assert _leavers(store, mlds)
    partition = extraction / f"academie={NAMES[1]}"  # not the read establishment's académie
    if fault == "partition removed":
        shutil.rmtree(partition)
    elif fault == "partition file changed":
        table = next(partition.glob("attendance.*"))
        table.write_bytes(table.read_bytes() + b"\n")
    else:
        shutil.rmtree(extraction)
    problem = "missing" if fault == "all gone" else "altered"
    reads = [
        lambda: get_student_events(store, watch_unit, student_id, None),
        lambda: get_student_solutions(store, watch_unit, student_id, AS_OF),
        lambda: get_leavers(store, mlds, AS_OF),
        lambda: _lineage(store).extraction_of(uai),
    ]
    for read in reads:
        with pytest.raises(WeekDataUnavailable) as raised:
            read()
        assert (raised.value.artifact, raised.value.problem) == ("extraction", problem)
    with store.reading() as session:
        assert suggestion_for_choice(latest_week(session), student_id, uai, AS_OF) == (None, None)


def test_an_establishment_in_no_partition_is_not_found(weeks: Weeks) -> None:
    lineage = _lineage(weeks.partitioned)
    with pytest.raises(NotFound, match="establishment 0999999Z is in no partition"):
        lineage.extraction_of("0999999Z")
    with pytest.raises(NotFound, match="none of the establishments 0999999Z"):
        lineage.extractions_of(["0999999Z"])
    with pytest.raises(NotFound, match="none of the establishments"):
        get_leavers(weeks.partitioned, make_actor("mlds", "0999999Z"), AS_OF)
    # Each establishment's folder is its own académie's partition.
    for academie in NAMES:
        for uai in weeks.uais[academie]:
            assert lineage.extraction_of(uai).name == f"academie={academie}"
    assert [path.name for path in lineage.extractions_of(weeks.uais[NAMES[1]])] == [
        f"academie={NAMES[1]}"
    ]


# --- access over time ----------------------------------------------------------------------


def test_a_student_who_moved_is_read_by_the_new_establishment_only(
    weeks: Weeks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _copy_store(weeks, tmp_path / "store")
    first, second = NAMES
    old, new = weeks.uais[first][0], weeks.uais[first][1]  # two establishments of one académie
    elsewhere = weeks.uais[second][0]  # one of the other académie
    student_id = _listed(store, old)[0]
    before = get_student_events(store, make_actor("watch_unit", old), student_id, None)
    with pytest.raises(AccessDenied):
        get_student_events(store, make_actor("watch_unit", elsewhere), student_id, None)

    # Within the académie: the new establishment reads the same events, the old one no more,
    # about the very week the student was its own.
    _move(store, student_id, new, MOVED_ON)
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: LATER)
    after = get_student_events(store, make_actor("watch_unit", new), student_id, AS_OF)
    _assert_same_events(after, before)
    for reader in (old, elsewhere):
        with pytest.raises(AccessDenied):
            get_student_events(store, make_actor("watch_unit", reader), student_id, AS_OF)
        with pytest.raises(AccessDenied):
            get_student_solutions(store, make_actor("watch_unit", reader), student_id, AS_OF)

    # To the other académie: its partition is read, which holds nothing of the student; the
    # first académie's rows are never read for it.
    _move(store, student_id, elsewhere, LATER)
    there = get_student_events(store, make_actor("watch_unit", elsewhere), student_id, AS_OF)
    assert there.grades.empty and there.exams.empty
    assert _missed(there) == 0
    with pytest.raises(NotFound, match="not in the extraction"):
        get_student_solutions(store, make_actor("watch_unit", elsewhere), student_id, AS_OF)
    with pytest.raises(AccessDenied):
        get_student_events(store, make_actor("watch_unit", new), student_id, AS_OF)
    store.dispose()


def test_a_leaver_back_at_school_in_another_academie_leaves_the_list(
    weeks: Weeks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _copy_store(weeks, tmp_path / "store")
    first, second = NAMES
    mlds = make_actor("mlds", *weeks.uais[first])
    other_mlds = make_actor("mlds", *weeks.uais[second])
    listed = _leavers(store, mlds)
    leaver = sorted(listed)[0]
    assert leaver not in _leavers(store, other_mlds)
    _move(store, leaver, weeks.uais[second][0], MOVED_ON)
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: LATER)
    # Back at school elsewhere: neither bassin lists the student, whatever date is asked.
    for as_of in (AS_OF, LATER):
        assert leaver not in _leavers(store, mlds, as_of)
        assert leaver not in _leavers(store, other_mlds, as_of)
    assert set(_leavers(store, mlds)) == set(listed) - {leaver}
    store.dispose()


def test_the_week_written_again_reads_its_new_extraction_with_the_same_access(
    weeks: Weeks, registered: RegisteredModel, tmp_path: Path
) -> None:
    store = _copy_store(weeks, tmp_path / "store")
    _record_extraction(store, weeks.extraction, tmp_path / "first")
    first, second = NAMES
    uai = weeks.uais[first][0]
    student_id = _listed(store, uai)[0]
    before = get_student_events(store, make_actor("watch_unit", uai), student_id, None)
    # The week written again from another copy of the extraction, the first one removed
    # (an unchanged week whose recorded data are intact would keep them).
    shutil.rmtree(tmp_path / "first")
    again = tmp_path / "again"
    shutil.copytree(weeks.extraction, again)
    previous = _lineage(store).folder
    home = tmp_path / "store"
    score_partitioned_week(again, AS_OF, store, registered, home=home, watch_threshold=0.2)
    lineage = _lineage(store)
    assert not previous.exists() and lineage.folder.is_relative_to(home.resolve())
    assert Path(lineage.extraction_path) == again.resolve()
    assert lineage.extraction_of(uai) == again.resolve() / f"academie={first}"
    after = get_student_events(store, make_actor("watch_unit", uai), student_id, None)
    _assert_same_events(after, before)
    with pytest.raises(AccessDenied):
        get_student_events(store, make_actor("watch_unit", weeks.uais[second][0]), student_id,
                           None)  # fmt: skip
    # The new extraction is what is checked now: altering it refuses the read.
    table = next((again / f"academie={first}").glob("grades.*"))
    table.write_bytes(table.read_bytes() + b"\n")
    with pytest.raises(WeekDataUnavailable):
        get_student_events(store, make_actor("watch_unit", uai), student_id, None)
    store.dispose()
