"""The retention rule (`vigie purge`): a dry run counts by kind and changes nothing; --apply
removes the old weeks' lists and artifacts (counts kept, the lineage refusing the week), old
interviews and dismissals, ended enrollments and students left with nothing, audited with
counts only; a purge interrupted midway leaves no half-removed week nor student, and files
go only after their rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from serving.db import Store
from serving.db.models import (
    AuditEntry,
    Dismissal,
    Enrollment,
    Interview,
    LeaverContact,
    ListEntry,
    Student,
    WeekCount,
    WeeklyList,
    WeeklyRun,
)
from serving.lineage import WeekDataUnavailable, recorded_week
from serving.services import InvalidRequest, NewInterview, record_interview
from serving.services.lists import get_week_list
from serving.services.retention import PurgeCounts, cutoff_for, purge
from serving.weekly import EstablishmentWeek, RosterStudent, ScoredStudent, replace_week_lists
from tests.serving.conftest import HOME_UAI, OPERATOR, WEEK, World, make_actor, reasons, week_input
from tests.serving.test_commands import home, invoke

__all__ = ["home"]  # the fixture, shared with test_commands

OLD_WEEKS = (dt.date(2024, 9, 2), dt.date(2024, 9, 9))
CUTOFF = dt.date(2025, 1, 6)
GONE = "X001"  # a student of the old weeks only, whose enrollment ended before the cutoff


def _old_input() -> list[EstablishmentWeek]:
    home, other = week_input()
    gone = ScoredStudent(GONE, 0.9, reasons(GONE), {"absence_half_days_4w": 20})
    roster = RosterStudent(
        GONE,
        "NomX",
        "PrénomX",
        enrolled_since=dt.date(2024, 9, 2),
        enrolled_until=dt.date(2024, 12, 20),
    )
    return [
        EstablishmentWeek(
            home.uai,
            home.name,
            home.weekly_interview_capacity,
            (*home.scored, gone),
            (*home.roster, roster),
        ),
        other,
    ]


def _folder(root: Path, week: dt.date) -> Path:
    folder = root / "weeks" / week.isoformat() / "20240901T000000"
    folder.mkdir(parents=True)
    for name in ("features.parquet", "contributions.parquet"):
        (folder / name).write_bytes(b"rows")
    return folder


@pytest.fixture
def old(world: World, tmp_path: Path) -> dict[dt.date, Path]:
    """Two old weeks (with artifacts' folders), an old interview and dismissal, a recent
    interview; the recent week of the world stays."""
    folders = {}
    for week in OLD_WEEKS:
        replace_week_lists(
            world.store, as_of=week, model_version="vigie-dropout/1",
            establishments=_old_input(), watch_threshold=0.3,
        )  # fmt: skip
        folder = folders[week] = _folder(tmp_path, week)
        with world.store.transaction() as session:
            session.execute(
                update(WeeklyRun)
                .where(WeeklyRun.week == week)
                .values(
                    extraction_path=str(tmp_path), extraction_sha256="0" * 64,
                    features_path=str(folder / "features.parquet"), features_sha256="0" * 64,
                    contributions_path=str(folder / "contributions.parquet"),
                    contributions_sha256="0" * 64,
                )
            )  # fmt: skip
    unit = make_actor("watch_unit", HOME_UAI)
    old_interview = record_interview(world.store, unit, NewInterview(student_id="H002"))
    record_interview(world.store, unit, NewInterview(student_id="H001"))
    long_ago = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)
    with world.store.transaction() as session:
        session.execute(
            update(Interview)
            .where(Interview.id == old_interview.id)
            .values(created_at=long_ago, updated_at=long_ago)
        )
        session.add(
            Dismissal(
                student_id=GONE, uai=HOME_UAI, week=OLD_WEEKS[0], reason="suivi ailleurs",
                created_by="cpe", created_at=long_ago,
            )
        )  # fmt: skip
    return folders


def _rows(store: Store) -> dict[str, int]:
    with store.reading() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (
                WeeklyList,
                ListEntry,
                Interview,
                Dismissal,
                Enrollment,
                Student,
                WeekCount,
            )
        }


def _purges(store: Store) -> list[AuditEntry]:
    with store.reading() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "purge")))


def test_the_period_is_read_and_six_months_is_the_least() -> None:
    today = dt.date(2026, 12, 5)
    assert cutoff_for("2y", today) == dt.date(2024, 12, 5)
    assert cutoff_for("18m", today) == dt.date(2025, 6, 5)
    assert cutoff_for("400d", today) == today - dt.timedelta(days=400)
    assert cutoff_for("30w", today) == today - dt.timedelta(weeks=30)
    assert cutoff_for("13M", dt.date(2026, 3, 31)) == dt.date(2025, 2, 28)
    assert cutoff_for("9999y", today) == dt.date.min  # everything
    for short in ("5m", "100d", "20w"):
        with pytest.raises(InvalidRequest, match="six months"):
            cutoff_for(short, today)
    for bad in ("2", "y", "2 years", "-2y"):
        with pytest.raises(InvalidRequest, match="not a period"):
            cutoff_for(bad, today)


def test_a_dry_run_counts_and_changes_nothing_then_apply_removes_the_same(
    world: World, old: dict[dt.date, Path]
) -> None:
    before = _rows(world.store)
    with world.store.reading() as session:
        tiers = dict(
            session.execute(
                select(ListEntry.tier, func.count())
                .join(WeeklyList, WeeklyList.id == ListEntry.list_id)
                .where(WeeklyList.week == OLD_WEEKS[0], WeeklyList.uai == HOME_UAI)
                .group_by(ListEntry.tier)
            ).all()
        )
        old_entries = session.scalar(
            select(func.count()).select_from(ListEntry).join(WeeklyList)
            .where(WeeklyList.week < CUTOFF)
        )  # fmt: skip
    dry = purge(world.store, OPERATOR, CUTOFF)
    assert not dry.applied and _rows(world.store) == before and not _purges(world.store)
    assert all(folder.is_dir() for folder in old.values())
    expected = PurgeCounts(
        weeks=2, lists=4, list_entries=old_entries or 0, week_folders=2,
        interviews=1, dismissals=1, enrollments=1, students=1,
    )  # fmt: skip
    assert dry.counts == expected

    done = purge(world.store, OPERATOR, CUTOFF, apply=True)
    assert done.applied and done.counts == expected
    after = _rows(world.store)
    assert after["list_entries"] == before["list_entries"] - expected.list_entries
    assert after["students"] == before["students"] - 1 and after["interviews"] == 1
    assert after["dismissals"] == 0 and after["week_counts"] == 4
    with world.store.reading() as session:
        assert session.get(Student, GONE) is None
        assert session.get(Student, "H002") is not None  # still enrolled, on the recent list
        kept = session.get(WeekCount, (OLD_WEEKS[0], HOME_UAI))
        assert kept is not None
        assert (kept.invited, kept.watched, kept.followed) == (
            tiers.get("invite", 0), tiers.get("watch", 0), tiers.get("follow_up", 0)
        )  # fmt: skip
        with pytest.raises(WeekDataUnavailable, match="retention rule") as refused:
            recorded_week(session, OLD_WEEKS[1])
        assert refused.value.problem == "purged"
    assert not any(folder.exists() for folder in old.values())
    # The recent week is served as before.
    assert get_week_list(world.store, make_actor("inspector"), HOME_UAI, WEEK).entries
    # Audited with counts, never a student.
    entries = _purges(world.store)
    assert len(entries) == 3 and all(entry.student_id is None for entry in entries)
    assert all(
        GONE not in (entry.detail or "") and "Nom" not in (entry.detail or "") for entry in entries
    )
    assert "week 2024-09-02" in (entries[0].detail or "")
    # Nothing left: a second run removes nothing.
    assert purge(world.store, OPERATOR, CUTOFF, apply=True).counts == PurgeCounts()


def test_an_interrupted_week_is_rolled_back_whole_and_its_files_kept(
    world: World, old: dict[dt.date, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.services import retention

    calls = []
    real = retention.bump_all_list_revisions

    def failing(session: object) -> None:
        calls.append(1)
        if len(calls) == 2:  # inside the second week's transaction, after its deletes
            raise RuntimeError("power cut")
        real(session)  # type: ignore[arg-type]

    monkeypatch.setattr(retention, "bump_all_list_revisions", failing)
    with pytest.raises(RuntimeError, match="power cut"):
        purge(world.store, OPERATOR, CUTOFF, apply=True)
    with world.store.reading() as session:
        runs = {run.week: run.purged_at for run in session.scalars(select(WeeklyRun))}
        lists = dict(
            session.execute(select(WeeklyList.week, func.count()).group_by(WeeklyList.week)).all()
        )
        counted = set(session.scalars(select(WeekCount.week)))
    first, second = OLD_WEEKS
    assert runs[first] is not None and first not in lists and counted == {first}
    assert runs[second] is None and lists[second] == 2  # untouched
    assert not old[first].exists() and old[second].is_dir()  # files only after the commit
    monkeypatch.setattr(retention, "bump_all_list_revisions", real)
    assert purge(world.store, OPERATOR, CUTOFF, apply=True).counts.weeks == 1  # finishes


def test_an_interrupted_purge_leaves_each_student_whole(
    world: World, old: dict[dt.date, Path]
) -> None:
    steps = []

    def stop_after_the_weeks_and_one_student() -> None:
        steps.append(1)
        if len(steps) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        purge(world.store, OPERATOR, CUTOFF, apply=True, batch=1,
              after_step=stop_after_the_weeks_and_one_student)  # fmt: skip
    # Students are purged in id order, one per transaction: H002 (old interview) first,
    # then X001 (old dismissal, ended enrollment, row), untouched.
    with world.store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Interview)) == 1
        assert session.get(Student, GONE) is not None
        assert session.scalar(select(func.count()).where(Dismissal.student_id == GONE)) == 1
        assert session.scalar(select(func.count()).where(Enrollment.student_id == GONE)) == 1
    rest = purge(world.store, OPERATOR, CUTOFF, apply=True)
    assert (rest.counts.students, rest.counts.dismissals, rest.counts.enrollments) == (1, 1, 1)


def test_the_command_is_a_dry_run_unless_applied(home: Path) -> None:
    short = invoke("purge", "--older-than", "3m")
    assert short.exit_code == 1 and "six months" in short.output
    dry = invoke("purge", "--older-than", "2y", "--today", "2026-12-05", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["cutoff"] == "2024-12-05" and report["applied"] is False
    assert set(report["counts"]) >= {"weeks", "list_entries", "interviews", "students"}
    applied = invoke("purge", "--older-than", "2y", "--apply", "--lang", "en")
    assert applied.exit_code == 0 and "Removed" in applied.stdout and "audit log" in applied.stdout


def test_dated_feature_files_before_the_cutoff_go_and_nothing_else(
    world: World, tmp_path: Path
) -> None:
    folder = tmp_path / "features"
    folder.mkdir()
    old = [folder / "demo-2024-11-04.parquet", folder / "weekly-2025-01-05.parquet"]
    kept = [
        folder / "demo-2025-01-06.parquet",  # the cutoff day itself is kept
        folder / "demo-2026-11-30.parquet",
        folder / "notes.parquet",  # no date: not a dated feature file
        folder / "demo-2024-13-01.parquet",  # not a date
        folder / "demo-2024-11-04.csv",
    ]
    for path in old + kept:
        path.write_bytes(b"rows")
    dry = purge(world.store, OPERATOR, CUTOFF, feature_folder=folder)
    assert dry.counts.feature_files == 2 and all(path.exists() for path in old)
    applied = purge(world.store, OPERATOR, CUTOFF, apply=True, feature_folder=folder)
    assert applied.counts.feature_files == 2
    assert not any(path.exists() for path in old) and all(path.exists() for path in kept)
    with world.store.reading() as session:
        details = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "purge"))
        assert "2 feature files" in list(details)
    again = purge(world.store, OPERATOR, CUTOFF, apply=True, feature_folder=folder)
    assert again.counts.feature_files == 0


def test_the_mlds_contacts_last_changed_before_the_cutoff_go_with_the_student_batch(
    world: World,
) -> None:
    long_ago = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)
    recent = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    with world.store.transaction() as session:
        for student, changed in (("L001", long_ago), ("L002", recent), ("L001", recent)):
            session.add(
                LeaverContact(
                    student_id=student, uai=HOME_UAI, contact_date=changed.date(),
                    action="aar", outcome="proposed", created_by="mlds",
                    created_at=changed, updated_by="mlds", updated_at=changed,
                )
            )  # fmt: skip
    dry = purge(world.store, OPERATOR, CUTOFF)
    assert dry.counts.contacts == 1
    applied = purge(world.store, OPERATOR, CUTOFF, apply=True)
    assert applied.counts.contacts == 1
    with world.store.reading() as session:
        left = session.execute(select(LeaverContact.student_id, LeaverContact.updated_at))
        assert sorted((student, changed.year) for student, changed in left) == [
            ("L001", 2026), ("L002", 2026),
        ]  # fmt: skip
