"""The weekly run from last week's state (`serving.scoring.incremental`): only the new
events validated, the same week written as by the full run, week after week; a corrected
past row, a changed enrollment, a broken new row, another model or a later state handled as
the full run would, and said.

Each week's extraction is the scoring académie cut as an extraction made that Monday would
be: its attendance, grades and exams dated before the as-of date.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlalchemy import text

from features.extraction import open_extraction
from features.incremental import load_state
from features.incremental.code_digest import feature_code_digest
from features.validation import InvalidExtractionError, validate_extraction
from features.validation.references import LOOKUPS
from models.registry import RegistryError
from models.risk_model import RiskModel
from serving.db import open_store
from serving.scoring import RegisteredModel
from serving.scoring.incremental import IncrementalScoring, score_week_incremental
from serving.scoring.model import ModelLoading, ModelUnavailable
from serving.scoring.model_cache import cached_model

from .test_scoring_support import academie, registered, registry, risk_model, tracking

__all__ = ["academie", "registered", "registry", "risk_model", "tracking"]  # fixtures

# Mondays of 2026-2027: the first after the Toussaint holidays (no event in its week), then
# school weeks; the académie's events end on 26 November.
WEEKS = tuple(dt.date(2026, 11, 2) + dt.timedelta(weeks=n) for n in range(5))
EVENTS = ("attendance", "grades", "exams")


def weekly_extraction(academie: Path, as_of: dt.date, out: Path) -> Path:
    """The académie as extracted on `as_of`: events dated before it, other tables whole."""
    out.mkdir(parents=True)
    con = duckdb.connect()
    for table in sorted(academie.glob("*.parquet")):
        if table.stem in EVENTS:
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{table}') WHERE date < DATE "
                f"'{as_of.isoformat()}') TO '{out / table.name}' (FORMAT parquet)"
            )
        else:
            shutil.copy(table, out / table.name)
    con.close()
    return out


class Home:
    """A Vigie home with its own SQLite store."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.store = open_store(f"sqlite:///{folder / 'store.sqlite3'}")

    def run(
        self, data: Path, as_of: dt.date, model: RegisteredModel, *, full: bool = False
    ) -> IncrementalScoring:
        return score_week_incremental(
            data, as_of, self.store, model, home=self.folder, watch_threshold=0.2, full=full
        )

    def lists(self, week: dt.date) -> list[tuple[object, ...]]:
        """Every entry written for the week, without the store's own ids and times."""
        with self.store.reading() as session:
            rows = session.execute(
                text(
                    "SELECT l.uai, e.student_id, e.rank, e.tier, e.risk, e.risk_change, "
                    "e.new_this_week, e.reasons, e.features_shown FROM list_entries AS e "
                    "JOIN weekly_lists AS l ON l.id = e.list_id WHERE l.week = :week "
                    "ORDER BY l.uai, e.rank, e.student_id"
                ),
                {"week": week.isoformat()},
            )
            return [tuple(row) for row in rows]


@pytest.fixture
def homes(tmp_path: Path) -> Iterator[tuple[Home, Home]]:
    """An incremental home and a home where every week is validated whole."""
    incremental, full = Home(tmp_path / "incremental"), Home(tmp_path / "full")
    yield incremental, full
    incremental.store.dispose()
    full.store.dispose()


def assert_same_week(incremental: IncrementalScoring, full: IncrementalScoring) -> None:
    """Same feature rows bit for bit, same scores, same counts."""
    left, right = incremental.scoring.rows, full.scoring.rows
    assert left is not None and right is not None
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    for column in left.select_dtypes("float").columns:
        assert (left[column].to_numpy().view("u8") == right[column].to_numpy().view("u8")).all()
    assert incremental.scoring.scored_students == full.scoring.scored_students
    assert incremental.scoring.establishments == full.scoring.establishments


def test_week_after_week_the_incremental_run_writes_what_the_full_run_writes(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    incremental, full = homes
    previous: dt.date | None = None
    checked_weeks: list[int] = []
    for as_of in WEEKS:
        data = weekly_extraction(academie, as_of, tmp_path / f"extraction-{as_of}")
        ran = incremental.run(data, as_of, registered)
        whole = full.run(data, as_of, registered, full=True)
        assert whole.validation.mode == "full" and whole.validation.reason is not None
        assert whole.validation.reason.code == "asked"
        assert whole.features_since is None  # every event aggregated
        if previous is None:
            assert ran.validation.mode == "full" and ran.validation.reason is not None
            assert ran.validation.reason.code == "no_state"
            assert ran.features_since is None
        else:
            assert ran.validation.mode == "incremental", ran.validation.reason
            assert ran.validation.since == previous
            # Only the new week's events were aggregated, added to last week's sums.
            assert ran.features_since == previous
            # Only the new week's events were validated: fewer rows than the tables hold.
            held = (
                duckdb.connect()
                .execute(
                    f"SELECT count(*) FROM read_parquet('{data / 'attendance.parquet'}') "
                    f"WHERE date >= DATE '{previous.isoformat()}'"
                )
                .fetchone()
            )
            assert held is not None
            assert ran.validation.checked["attendance"] == held[0]
            assert ran.validation.unchanged["attendance"] > 10 * held[0]
            checked_weeks.append(held[0])
        assert_same_week(ran, whole)
        assert incremental.lists(as_of) == full.lists(as_of)
        assert incremental.lists(as_of), "the week wrote no list"
        state, why = load_state(incremental.folder, "extraction")
        assert why is None and state is not None and state.as_of == as_of
        previous = as_of
    assert checked_weeks[0] == 0 and min(checked_weeks[1:]) > 0  # the holidays, then school


def test_a_corrected_past_mark_runs_the_full_validation_and_says_why(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    incremental, full = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    data = weekly_extraction(academie, second, tmp_path / "w2")
    grades = pd.read_parquet(data / "grades.parquet")
    old = grades.index[pd.to_datetime(grades["date"]) < pd.Timestamp(first)][0]
    grades.loc[old, "value"] = grades.loc[old, "out_of"] - grades.loc[old, "value"] + 0.5
    grades.loc[old, "value"] = min(grades.loc[old, "value"], grades.loc[old, "out_of"])
    grades.to_parquet(data / "grades.parquet", index=False)
    ran = incremental.run(data, second, registered)
    assert ran.validation.mode == "full" and ran.validation.reason is not None
    assert ran.validation.reason.code == "rows_changed"
    assert ran.validation.reason.details["table"] == "grades"
    assert "grades: the rows dated before 2026-11-09 changed" in str(ran.validation.reason)
    # Last week's sums hold the mark as it was: every event is aggregated again.
    assert ran.features_since is None
    assert_same_week(ran, full.run(data, second, registered, full=True))
    # The state now holds the corrected rows: the next week is incremental again.
    third = weekly_extraction(academie, WEEKS[3], tmp_path / "w3")
    corrected = pd.read_parquet(third / "grades.parquet")
    corrected.loc[old, "value"] = grades.loc[old, "value"]
    corrected.to_parquet(third / "grades.parquet", index=False)
    assert incremental.run(third, WEEKS[3], registered).validation.mode == "incremental"


def test_missing_kept_sums_aggregate_every_event_and_the_week_is_the_same(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    """Sums gone from the state (a file removed, or a state written before they were kept):
    the week is still validated incrementally, its features come from every event, and the
    next week adds to the sums kept again."""
    incremental, full = homes
    first, second, third = WEEKS[1], WEEKS[2], WEEKS[3]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    folder = incremental.folder / "weekly-state" / "extraction"
    (folder / f"grade_marks-{first.isoformat()}.parquet").unlink()
    data = weekly_extraction(academie, second, tmp_path / "w2")
    ran = incremental.run(data, second, registered)
    assert ran.validation.mode == "incremental"
    assert ran.features_since is None
    assert_same_week(ran, full.run(data, second, registered, full=True))
    # A kept file altered since (the same size, other bytes): its checksum no longer
    # matches, and every event is aggregated again.
    kept = folder / f"attendance_days-{second.isoformat()}.parquet"
    altered = bytearray(kept.read_bytes())
    altered[len(altered) // 2] ^= 0xFF
    kept.write_bytes(bytes(altered))
    damaged = weekly_extraction(academie, third, tmp_path / "w3-damaged")
    again = incremental.run(damaged, third, registered)
    assert again.validation.mode == "incremental" and again.features_since is None
    assert_same_week(again, full.run(damaged, third, registered, full=True))
    # That week kept sums again; the rest of the test starts from the second week's state.
    state = json.loads((folder / "state.json").read_text())
    assert state["sums"]["sha256"].keys() == state["sums"]["files"].keys()
    incremental.run(data, second, registered, full=True)
    # A state without sums is read, its sums absent.
    state = json.loads((folder / "state.json").read_text())
    assert state["sums"]["files"]["grade_marks"] == f"grade_marks-{second.isoformat()}.parquet"
    (folder / "state.json").write_text(json.dumps(state | {"sums": None}))
    data = weekly_extraction(academie, third, tmp_path / "w3")
    ran = incremental.run(data, third, registered)
    assert ran.validation.mode == "incremental" and ran.features_since is None
    assert_same_week(ran, full.run(data, third, registered, full=True))

    fourth = WEEKS[4]
    data = weekly_extraction(academie, fourth, tmp_path / "w4")
    ran = incremental.run(data, fourth, registered)
    assert ran.features_since == third
    assert_same_week(ran, full.run(data, fourth, registered, full=True))


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_state_of_an_earlier_format_validates_the_whole_extraction_and_says_why(
    academie: Path,
    registered: RegisteredModel,
    homes: tuple[Home, Home],
    tmp_path: Path,
    version: int,
) -> None:
    """Versions 1 and 2 folded a student's fingerprint by exclusive or (two copies of a row
    cancelled out): their fingerprints do not compare with today's; version 3 kept no
    student lookup beside them. They are not used."""
    incremental, full = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    state_file = incremental.folder / "weekly-state" / "extraction" / "state.json"
    state = json.loads(state_file.read_text())
    assert state["version"] == 4 and "establishments" in state["tables"]
    state_file.write_text(json.dumps(state | {"version": version}))
    data = weekly_extraction(academie, second, tmp_path / "w2")
    ran = incremental.run(data, second, registered)
    assert ran.validation.mode == "full" and ran.validation.reason is not None
    assert ran.validation.reason.code == "state_version"
    assert ran.validation.reason.details == {"version": str(version)}
    assert "earlier format (version" in str(ran.validation.reason)
    assert_same_week(ran, full.run(data, second, registered, full=True))
    # The state kept by that week is of today's format: the next week is incremental.
    third = weekly_extraction(academie, WEEKS[3], tmp_path / "w3")
    assert incremental.run(third, WEEKS[3], registered).validation.mode == "incremental"


def test_a_state_of_other_validation_or_feature_code_validates_the_whole_extraction(
    academie: Path,
    registered: RegisteredModel,
    homes: tuple[Home, Home],
    tmp_path: Path,
) -> None:
    """After an upgrade that changes the checks or the feature steps, last week's
    fingerprints and sums are not this code's: the week is run whole, says why, and keeps a
    state of this code."""
    incremental, full = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    state_file = incremental.folder / "weekly-state" / "extraction" / "state.json"
    state = json.loads(state_file.read_text())
    assert state["code"] == feature_code_digest()
    state_file.write_text(json.dumps(state | {"code": "0" * 64}))
    data = weekly_extraction(academie, second, tmp_path / "w2")
    ran = incremental.run(data, second, registered)
    assert ran.validation.mode == "full" and ran.validation.reason is not None
    assert ran.validation.reason.code == "other_code"
    assert ran.features_since is None
    assert "another version of Vigie's code" in str(ran.validation.reason)
    assert_same_week(ran, full.run(data, second, registered, full=True))
    assert json.loads(state_file.read_text())["code"] == feature_code_digest()
    # A state written before the digest was kept has none: the same.
    kept = json.loads(state_file.read_text())
    state_file.write_text(json.dumps({key: value for key, value in kept.items() if key != "code"}))
    third = weekly_extraction(academie, WEEKS[3], tmp_path / "w3")
    again = incremental.run(third, WEEKS[3], registered)
    assert again.validation.reason is not None and again.validation.reason.code == "other_code"
    fourth = weekly_extraction(academie, WEEKS[4], tmp_path / "w4")
    assert incremental.run(fourth, WEEKS[4], registered).validation.mode == "incremental"


def _student_rows_changed(data: Path, change: str) -> None:
    """Change the students' or enrollments' rows of the extraction `data` as `change` says."""
    students = pd.read_parquet(data / "students.parquet")
    enrollments = pd.read_parquet(data / "enrollments.parquet")
    establishments = pd.read_parquet(data / "establishments.parquet")
    if change == "two_copies_of_an_enrollment":
        # Two copies cancel out in an exclusive or: the sum sees them.
        enrollments = pd.concat([enrollments, enrollments.iloc[[5, 5]]], ignore_index=True)
    elif change == "two_copies_of_a_student":
        students = pd.concat([students, students.iloc[[3, 3]]], ignore_index=True)
    elif change == "a_broken_birth_date":
        students["birth_date"] = students["birth_date"].astype(str)
        students.loc[7, "birth_date"] = "2011-02-30"
    elif change == "an_enrollment_without_student":
        extra = enrollments.iloc[[2]].copy()
        extra["student_id"] = "   "
        enrollments = pd.concat([enrollments, extra], ignore_index=True)
    elif change == "an_establishment_gone":
        # Its enrollments, of students whose rows did not change, name an unknown school.
        gone = enrollments["uai"].value_counts().index[-1]
        establishments = establishments[establishments["uai"] != gone]
    else:  # pragma: no cover
        raise AssertionError(change)
    students.to_parquet(data / "students.parquet", index=False)
    enrollments.to_parquet(data / "enrollments.parquet", index=False)
    establishments.to_parquet(data / "establishments.parquet", index=False)


@pytest.mark.parametrize(
    "change",
    [
        "two_copies_of_an_enrollment",
        "two_copies_of_a_student",
        "a_broken_birth_date",
        "an_enrollment_without_student",
        "an_establishment_gone",
    ],
)
def test_students_and_enrollments_broken_since_last_week_are_refused_as_the_full_validation_does(
    academie: Path,
    registered: RegisteredModel,
    homes: tuple[Home, Home],
    tmp_path: Path,
    change: str,
) -> None:
    """The students' and enrollments' rows are checked for the students whose rows changed
    only (and every enrollment when an establishment changed): whatever broke them is found,
    with the same counts and rows as the whole validation."""
    incremental, _ = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    data = weekly_extraction(academie, second, tmp_path / "w2")
    _student_rows_changed(data, change)
    expected = validate_extraction(data)
    assert not expected.ok
    with pytest.raises(InvalidExtractionError) as refused:
        incremental.run(data, second, registered)
    assert _violations(refused.value.report.groups) == _violations(expected.groups)


def test_the_students_rows_checked_are_those_of_the_students_whose_rows_changed(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    """A student moves to another class: their students' and enrollments' rows alone are
    checked again, and the week is the one the full run writes."""
    incremental, full = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    data = weekly_extraction(academie, second, tmp_path / "w2")
    enrollments = pd.read_parquet(data / "enrollments.parquet")
    moved = enrollments.index[enrollments["end_date"].isna()][0]
    student = enrollments.loc[moved, "student_id"]
    enrollments.loc[moved, "class_id"] = "AUTRE"
    enrollments.to_parquet(data / "enrollments.parquet", index=False)
    ran = incremental.run(data, second, registered)
    assert ran.validation.mode == "incremental"
    assert ran.validation.students_rechecked == 1
    report = ran.validation.extraction.report
    assert report is not None
    assert report.row_counts["students"] == 1
    assert report.row_counts["enrollments"] == int((enrollments["student_id"] == student).sum())
    assert_same_week(ran, full.run(data, second, registered, full=True))
    assert ran.scoring.rows is not None
    row = ran.scoring.rows[ran.scoring.rows["student_id"] == student]
    assert row["class_id"].tolist() == ["AUTRE"]


def test_the_student_lookup_kept_for_next_week_is_the_one_made_from_every_row(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    """The state keeps each student's row of the validation's student lookup (listed, the
    days their enrollments cover); the next week makes again those of the students whose
    rows changed (a class changed, an enrollment ended) and keeps the others': the lookup it
    keeps in turn is the one made from every row of its extraction."""
    incremental, full = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    before = _kept_lookup(incremental)
    data = weekly_extraction(academie, second, tmp_path / "w2")
    enrollments = pd.read_parquet(data / "enrollments.parquet")
    open_now = enrollments.index[
        (enrollments["school_year"] == "2026-2027") & enrollments["end_date"].isna()
    ]
    moved, leaving = open_now[0], open_now[1]
    enrollments.loc[moved, "class_id"] = "AUTRE"
    enrollments["end_date"] = enrollments["end_date"].astype(object)
    enrollments.loc[leaving, "end_date"] = second - dt.timedelta(days=1)
    enrollments.loc[leaving, "exit_reason"] = "transferred"
    enrollments.to_parquet(data / "enrollments.parquet", index=False)
    ran = incremental.run(data, second, registered)
    assert ran.validation.mode == "incremental"
    assert ran.validation.students_rechecked == 2
    after = _kept_lookup(incremental)
    with open_extraction(data) as extraction:
        made = _lookup_rows(extraction.con, LOOKUPS["student"].sql({"students", "enrollments"}))
    assert after == made
    # The ended enrollment's span changed; every other student's row is last week's.
    student = enrollments.loc[leaving, "student_id"]
    assert [r for r in after if r[0] == student] != [r for r in before if r[0] == student]
    assert [r for r in after if r[0] != student] == [r for r in before if r[0] != student]
    assert_same_week(ran, full.run(data, second, registered, full=True))


def _kept_lookup(home: Home) -> list[tuple[object, ...]]:
    state, _ = load_state(home.folder, "extraction")
    assert state is not None
    path = home.folder / "weekly-state" / "extraction" / state.students_file
    con = duckdb.connect()
    try:
        return _lookup_rows(
            con,
            "SELECT student_id, known_student, spans_student FROM "
            f"read_parquet('{path}') WHERE known_student IS NOT NULL",
        )
    finally:
        con.close()


def _lookup_rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    """The lookup's rows, each student's spans in order (a list's order is the engine's)."""
    return sorted(
        (
            student,
            known,
            tuple(sorted(tuple(span.values()) for span in spans or ())),
        )
        for student, known, spans in con.execute(sql).fetchall()
    )


def test_the_sums_kept_for_next_week_are_written_once_the_store_write_begins(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    """The sums the next week reads are written on the core the store write leaves free:
    none is on disk before the write begins (the predictions and the explanations run
    without their writer), and the week's state keeps them."""
    incremental, _ = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    folder = incremental.folder / "weekly-state" / "extraction"
    on_disk: dict[str, list[str]] = {}

    def on_stage(stage: str, seconds: float) -> None:
        on_disk[stage] = sorted(
            path.name for path in folder.glob(".*.parquet") if not path.name.startswith(".stud")
        )

    data = weekly_extraction(academie, second, tmp_path / "w2")
    ran = score_week_incremental(data, second, incremental.store, registered,
                                 home=incremental.folder, watch_threshold=0.2,
                                 on_stage=on_stage)  # fmt: skip
    assert ran.validation.mode == "incremental" and ran.features_since == first
    assert on_disk["features"] == on_disk["predict"] == on_disk["explain lists"] == []
    state, _ = load_state(incremental.folder, "extraction")
    assert state is not None and state.as_of == second
    kept = state.kept_sums(folder)
    assert kept is not None and all(path.is_file() for path in kept.files.values())
    assert not list(folder.glob(".*.parquet"))


def test_a_model_still_loading_writes_the_same_week_and_its_failure_writes_nothing(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    """`vigie score` loads the model in a thread while the extraction is validated and the
    features built (`ModelLoading`): the week is the one a loaded model writes, and a model
    that cannot be loaded leaves nothing written and no state kept."""
    incremental, full = homes
    week = WEEKS[1]
    data = weekly_extraction(academie, week, tmp_path / "w1")
    features_built = threading.Event()

    def load_after_the_features() -> RiskModel:
        # Waits for the features stage: the run must not wait for the model before it.
        assert features_built.wait(timeout=120), "the run waited for the model first"
        return registered.model

    def on_stage(stage: str, seconds: float) -> None:
        if stage == "features":
            features_built.set()

    loading = ModelLoading(registered.name, registered.version, registered.chosen_as,
                           load_after_the_features)  # fmt: skip
    ran = score_week_incremental(data, week, incremental.store, loading, home=incremental.folder,
                                 watch_threshold=0.2, on_stage=on_stage)  # fmt: skip
    assert_same_week(ran, full.run(data, week, registered))
    assert incremental.lists(week) == full.lists(week)

    def unavailable() -> RiskModel:
        raise RegistryError("vigie-dropout version 1 cannot be loaded")

    other = Home(tmp_path / "other")
    failing = ModelLoading(registered.name, registered.version, registered.chosen_as, unavailable)
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        score_week_incremental(data, week, other.store, failing, home=other.folder,
                               watch_threshold=0.2)  # fmt: skip
    assert other.lists(week) == []
    assert not (other.folder / "weekly-state" / "extraction" / "state.json").exists()
    other.store.dispose()


def _violations(report_groups: object) -> set[tuple[str, str, int, tuple[int | None, ...]]]:
    groups = report_groups if isinstance(report_groups, tuple) else ()
    return {(g.table, g.rule, g.count, tuple(e.row for e in g.examples)) for g in groups}


def test_a_broken_new_row_is_refused_as_the_full_validation_refuses_it(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    incremental, _ = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    data = weekly_extraction(academie, second, tmp_path / "w2")
    attendance = pd.read_parquet(data / "attendance.parquet")
    new = attendance.index[pd.to_datetime(attendance["date"]) >= pd.Timestamp(first)][0]
    attendance.loc[new, "student_id"] = "NOBODY-0001"
    attendance.to_parquet(data / "attendance.parquet", index=False)
    kept = (incremental.folder / "weekly-state" / "extraction" / "state.json").read_text()
    with pytest.raises(InvalidExtractionError) as refused:
        incremental.run(data, second, registered)
    expected = validate_extraction(data)
    assert not expected.ok
    assert _violations(refused.value.report.groups) == _violations(expected.groups)
    assert any(g.rule == "unknown_student" for g in refused.value.report.groups)
    # Nothing kept from the refused week: the state is the previous one, whole.
    assert (incremental.folder / "weekly-state" / "extraction" / "state.json").read_text() == kept
    assert sorted(
        p.name for p in (incremental.folder / "weekly-state" / "extraction").iterdir()
    ) == [
        f"absence_runs-{first.isoformat()}.parquet",
        f"absenteeism_dates-{first.isoformat()}.parquet",
        f"attendance_days-{first.isoformat()}.parquet",
        f"grade_bucket_marks-{first.isoformat()}.parquet",
        f"grade_marks-{first.isoformat()}.parquet",
        f"path_versions-{first.isoformat()}.parquet",
        "state.json",
        f"students-{first.isoformat()}.parquet",
    ]


def test_an_enrollment_cut_short_makes_old_absences_checked_again(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    """An enrollment whose end moved before old events: those events, validated last week,
    now lie outside every enrollment; the incremental run finds them as the full one does."""
    incremental, _ = homes
    first, second = WEEKS[1], WEEKS[2]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    data = weekly_extraction(academie, second, tmp_path / "w2")
    attendance = pd.read_parquet(data / "attendance.parquet")
    enrollments = pd.read_parquet(data / "enrollments.parquet")
    days = pd.to_datetime(attendance["date"])
    october = attendance[(days >= pd.Timestamp(2026, 10, 5)) & (days < pd.Timestamp(2026, 10, 17))]
    open_now = enrollments[
        (enrollments["school_year"] == "2026-2027") & enrollments["end_date"].isna()
    ]
    student = sorted(set(october["student_id"]) & set(open_now["student_id"]))[0]
    row = open_now.index[open_now["student_id"] == student][0]
    enrollments["end_date"] = enrollments["end_date"].astype(object)
    enrollments.loc[row, "end_date"] = dt.date(2026, 10, 1)
    enrollments.loc[row, "exit_reason"] = "transferred"
    enrollments.to_parquet(data / "enrollments.parquet", index=False)
    with pytest.raises(InvalidExtractionError) as refused:
        incremental.run(data, second, registered)
    expected = validate_extraction(data)
    outside = [g for g in refused.value.report.groups if g.rule == "date_outside_enrollment"]
    assert {g.table for g in outside} >= {"attendance"}
    assert _violations(refused.value.report.groups) == _violations(expected.groups)


def test_a_state_of_another_model_or_of_a_later_week_runs_the_full_validation(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    incremental, _ = homes
    data = {week: weekly_extraction(academie, week, tmp_path / str(week)) for week in WEEKS[1:4]}
    incremental.run(data[WEEKS[2]], WEEKS[2], registered)
    # A past week scored again after a later one: the state is of a later week.
    earlier = incremental.run(data[WEEKS[1]], WEEKS[1], registered)
    assert earlier.validation.reason is not None
    assert earlier.validation.reason.code == "not_earlier"
    other = RegisteredModel(registered.model, registered.name, "2", "version 2")
    ran = incremental.run(data[WEEKS[3]], WEEKS[3], other)
    assert ran.validation.mode == "full" and ran.validation.reason is not None
    assert ran.validation.reason.code == "other_model"
    assert ran.validation.reason.details == {
        "previous": registered.label,
        "model": other.label,
    }
    # A state file that cannot be read: a full run, never an error.
    state_file = incremental.folder / "weekly-state" / "extraction" / "state.json"
    state_file.write_text(json.dumps({"version": 99}))
    again = incremental.run(data[WEEKS[3]], WEEKS[3], other)
    assert again.validation.reason is not None
    assert again.validation.reason.code == "unreadable_state"


def test_the_model_cache_loads_a_version_once_and_never_uses_an_altered_copy(
    registered: RegisteredModel, tmp_path: Path
) -> None:
    loads: list[int] = []

    def load() -> object:
        loads.append(1)
        return registered.model

    first, cached = cached_model(tmp_path, "vigie-dropout", "1", "abc123", load)  # type: ignore[arg-type]
    assert not cached and len(loads) == 1
    again, cached = cached_model(tmp_path, "vigie-dropout", "1", "abc123", load)  # type: ignore[arg-type]
    assert cached and len(loads) == 1
    assert list(again.feature_names_in_) == list(first.feature_names_in_)
    # Another identity for the same version number (another store): loaded, not mixed up.
    _, cached = cached_model(tmp_path, "vigie-dropout", "1", "def456", load)  # type: ignore[arg-type]
    assert not cached and len(loads) == 2
    # An altered copy is loaded again from the registry and rewritten.
    (pickled,) = (tmp_path / "model-cache" / "vigie-dropout").glob("1-abc123.pickle")
    pickled.write_bytes(pickled.read_bytes()[:-10] + b"0123456789")
    _, cached = cached_model(tmp_path, "vigie-dropout", "1", "abc123", load)  # type: ignore[arg-type]
    assert not cached and len(loads) == 3
    # A version without a recorded identity is never cached.
    _, cached = cached_model(tmp_path, "vigie-dropout", "2", None, load)  # type: ignore[arg-type]
    _, cached = cached_model(tmp_path, "vigie-dropout", "2", None, load)  # type: ignore[arg-type]
    assert not cached and len(loads) == 5


def test_vigie_score_says_how_it_validated_and_forces_the_full_run_with_full(
    academie: Path, tracking: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer
    from typer.testing import CliRunner

    from vigie.commands import score as score_command

    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    app = typer.Typer()
    score_command.register(app)

    @app.callback()
    def _root() -> None:  # a group, so that the command is invoked by name as in `vigie`
        pass

    runner = CliRunner()
    first, second = WEEKS[1], WEEKS[2]
    folders = {w: weekly_extraction(academie, w, tmp_path / str(w)) for w in (first, second)}

    def score(week: dt.date, *options: str) -> str:
        args = ["score", "--data", str(folders[week]), "--as-of", week.isoformat(), *options]
        result = runner.invoke(app, [*args, "--quiet"])
        assert result.exit_code == 0, result.output
        return result.stdout

    said = score(first)
    assert "Validation complète de l'extraction : aucun état conservé" in said
    assert "Variables : calculées sur tous les événements de l'extraction." in said
    cached = list((tmp_path / "home" / "model-cache" / "vigie-dropout").glob("1-*.pickle"))
    assert len(cached) == 1  # the champion's identity recorded: cached for next week
    said = score(second, "--lang", "en")
    assert f"Incremental validation: events from {first.isoformat()} on checked" in said
    assert f"Features: events from {first.isoformat()} on added to the sums kept" in said
    assert "Stages: validate" in said
    said = score(second, "--full")
    assert "(--full)" in said and "Validation complète" in said


def test_a_missing_folder_is_reported_and_a_folder_of_several_academies_refused(
    registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path
) -> None:
    incremental, _ = homes
    with pytest.raises(InvalidExtractionError) as missing:
        incremental.run(tmp_path / "nowhere", WEEKS[1], registered)
    assert [g.rule for g in missing.value.report.groups] == ["missing_folder"]
    national = tmp_path / "national"
    for name in ("academie=Rennes", "academie=Nantes"):
        (national / name).mkdir(parents=True)
    with pytest.raises(ValueError, match="holds 2 partitions: score one académie's folder"):
        incremental.run(national, WEEKS[1], registered)
    assert not (incremental.folder / "weekly-state").exists()


def test_the_registry_lookup_goes_on_in_a_thread_and_its_failure_comes_from_the_label(
    monkeypatch: pytest.MonkeyPatch, risk_model: RiskModel
) -> None:
    """`start_loading_registered_model` returns before the tracking's setup and the
    registry's lookup: the version is known from `label`, which waits for them, and what
    the lookup raises comes from there; the arguments are checked at once."""
    import serving.scoring.model as model_module
    from serving.scoring import start_loading_registered_model

    release = threading.Event()
    found = ("vigie-dropout", "3", "alias champion", lambda: risk_model)
    monkeypatch.setattr(model_module, "_resolved", lambda *args: found)
    loading = start_loading_registered_model(setup=lambda: release.wait(timeout=60))
    release.set()
    assert (loading.label, loading.chosen_as) == ("vigie-dropout/3", "alias champion")
    assert loading.result().model is risk_model

    def missing(*args: object) -> None:
        raise ModelUnavailable("vigie-dropout has no champion version")

    monkeypatch.setattr(model_module, "_resolved", missing)
    failing = start_loading_registered_model()
    with pytest.raises(ModelUnavailable, match="no champion"):
        failing.label  # noqa: B018
    with pytest.raises(ModelUnavailable, match="no champion"):
        failing.result()
    with pytest.raises(ValueError, match="not both"):
        start_loading_registered_model(alias="champion", version=3)


def test_the_validation_asks_for_the_model_once_the_events_are_scanned(
    academie: Path, registered: RegisteredModel, homes: tuple[Home, Home], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The model's label is asked for after the event tables' scan (the lookup goes on
    meanwhile), and a state of another model still makes the week validated whole."""
    import features.incremental.validation as validation

    incremental, _ = homes
    scanned: list[str] = []
    scan = validation.event_fingerprints

    def scanning(extraction: object, name: str, dates: object) -> object:
        scanned.append(name)
        return scan(extraction, name, dates)  # type: ignore[arg-type]

    monkeypatch.setattr(validation, "event_fingerprints", scanning)
    asked: list[list[str]] = []

    def label() -> str:
        asked.append(list(scanned))
        return registered.label

    first = validation.validate_week(weekly_extraction(academie, WEEKS[0], tmp_path / "w0"),
                                     WEEKS[0], home=incremental.folder, partition="extraction",
                                     model=label)  # fmt: skip
    first.extraction.close()
    assert first.pending is not None
    first.pending.keep()
    assert asked == [list(validation.INCREMENTAL_TABLES)]  # after both tables' scans
    data = weekly_extraction(academie, WEEKS[1], tmp_path / "w1")
    other = validation.validate_week(data, WEEKS[1], home=incremental.folder,
                                     partition="extraction",
                                     model=lambda: "vigie-dropout/99")  # fmt: skip
    other.extraction.close()
    assert other.pending is not None
    other.pending.discard()
    assert other.mode == "full" and other.reason is not None
    assert other.reason.code == "other_model"
    same = validation.validate_week(data, WEEKS[1], home=incremental.folder,
                                    partition="extraction", model=label)  # fmt: skip
    same.extraction.close()
    assert same.mode == "incremental"


def test_a_state_that_cannot_be_kept_leaves_the_week_written_and_the_previous_state(
    academie: Path,
    registered: RegisteredModel,
    homes: tuple[Home, Home],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full disk when the state is saved, after the week is written: the run does not fail
    (its lists are the week's), says so in the log, and the next week goes on from the state
    kept before."""
    import features.incremental.validation as validation

    incremental, full = homes
    first, second, third = WEEKS[1], WEEKS[2], WEEKS[3]
    before = weekly_extraction(academie, first, tmp_path / "w1")
    for home in homes:
        home.run(before, first, registered, full=home is full)
    folder = incremental.folder / "weekly-state" / "extraction"
    kept = {p.name: p.read_bytes() for p in folder.iterdir()}

    def disk_full(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    data = weekly_extraction(academie, second, tmp_path / "w2")
    with monkeypatch.context() as patched, caplog.at_level("WARNING"):
        patched.setattr(validation, "save_state", disk_full)
        ran = incremental.run(data, second, registered)
    assert ran.validation.mode == "incremental"
    assert_same_week(ran, full.run(data, second, registered, full=True))
    assert incremental.lists(second) == full.lists(second)
    assert incremental.lists(second)
    assert "was not kept (No space left on device)" in caplog.text
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == kept  # nothing else left
    later = weekly_extraction(academie, third, tmp_path / "w3")
    ran = _incremental_from(incremental, later, third, first, registered)
    assert_same_week(ran, full.run(later, third, registered, full=True))
    assert incremental.lists(third) == full.lists(third)


def test_a_store_write_that_fails_once_the_sums_are_being_written_leaves_the_previous_state(
    academie: Path,
    registered: RegisteredModel,
    homes: tuple[Home, Home],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sums for next week start being written as the store write begins; a write that
    then fails keeps no week, no state and no file of the run (the writer waited for and
    its files removed), and the next week goes on from the state kept before."""
    import serving.scoring.run as run_module

    incremental, _ = homes
    first, second, third = WEEKS[1], WEEKS[2], WEEKS[3]
    incremental.run(weekly_extraction(academie, first, tmp_path / "w1"), first, registered)
    folder = incremental.folder / "weekly-state" / "extraction"
    kept = {p.name: p.read_bytes() for p in folder.iterdir()}
    write = run_module.replace_week_lists

    def failing_write(*args: object, **kwargs: object) -> object:
        # Fails once the sums' writer has begun (one of its files is on disk).
        deadline = time.monotonic() + 60
        while not [p for p in folder.glob(".*.parquet") if not p.name.startswith(".stud")]:
            assert time.monotonic() < deadline, "the sums' writer never began"
            time.sleep(0.005)
        raise RuntimeError("the store went away")

    data = weekly_extraction(academie, second, tmp_path / "w2")
    with monkeypatch.context() as patched:
        patched.setattr(run_module, "replace_week_lists", failing_write)
        with pytest.raises(RuntimeError, match="the store went away"):
            incremental.run(data, second, registered)
    assert incremental.lists(second) == []
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == kept
    assert run_module.replace_week_lists is write
    later = weekly_extraction(academie, third, tmp_path / "w3")
    _incremental_from(incremental, later, third, first, registered)


def _incremental_from(
    home: Home, data: Path, week: dt.date, since: dt.date, registered: RegisteredModel
) -> IncrementalScoring:
    """The week run in `home`, checked to be validated and aggregated from the state of
    `since`."""
    ran = home.run(data, week, registered)
    assert (ran.validation.mode, ran.validation.since, ran.features_since) == (
        "incremental",
        since,
        since,
    )
    return ran
