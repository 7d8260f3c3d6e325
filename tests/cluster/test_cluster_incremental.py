"""The weekly run of an extraction partitioned by académie, from each partition's state of
last week: on the two-worker cluster (or here), each académie validates and aggregates only
its new events, the lists and feature snapshots are those of the run that rebuilds
everything, each académie's state is the one it keeps when scored alone, and a week that is
not written (an invalid partition, a killed worker) keeps no state and leaves no file."""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client

from features.incremental import STATE_FOLDER
from features.partitions import PartitionError
from serving.db import Store
from serving.scoring import RegisteredModel
from serving.scoring.cluster import WeeklyScoring, score_partitioned_week
from serving.scoring.incremental import score_week_incremental
from tests.cluster.test_cluster_scoring_support import (
    AS_OF,
    NAMES,
    killed_once_scored,
    lineage_frames,
    registered,
    sqlite_store,
    week_content,
)

__all__ = ["registered"]  # fixture

FIRST = AS_OF - dt.timedelta(weeks=1)  # the week before AS_OF


def _week(
    data: Path, day: dt.date, store: Store, model: RegisteredModel, home: Path, **options: object
) -> WeeklyScoring:
    return score_partitioned_week(
        data, day, store, model, home=home, watch_threshold=0.2, **options  # type: ignore[arg-type]
    )


def _states(home: Path) -> dict[str, str]:
    """Each partition's kept state (its JSON text), by folder name."""
    folder = home / STATE_FOLDER
    return {p.name: (p / "state.json").read_text("utf-8") for p in sorted(folder.iterdir())}


def _hidden(home: Path) -> list[str]:
    """The hidden (prepared, not kept) files under the home's weekly states."""
    return sorted(p.name for p in (home / STATE_FOLDER).rglob(".*"))


@pytest.fixture(scope="module")
def two_weeks(
    academies: Path,
    registered: RegisteredModel,
    cluster: Client,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[Store, Path, list[WeeklyScoring]]]]:
    """The weeks FIRST then AS_OF written on the cluster from each partition's state
    ("incremental"), and by the run that validates and aggregates every event each week
    ("rebuilt"), each in a store and home of its own."""
    runs, openers = {}, []
    for name, incremental in (("incremental", True), ("rebuilt", False)):
        home = tmp_path_factory.mktemp(name)
        opener = sqlite_store(home)
        store = next(opener)
        openers.append(opener)
        results = [
            _week(academies, day, store, registered, home, client=cluster, incremental=incremental)
            for day in (FIRST, AS_OF)
        ]
        runs[name] = (store, home, results)
    yield runs
    for opener in openers:
        next(opener, None)


def test_each_partition_validates_and_aggregates_only_its_new_week(
    two_weeks: dict[str, tuple[Store, Path, list[WeeklyScoring]]],
) -> None:
    _, home, (first, second) = two_weeks["incremental"]
    assert sorted(first.validations) == sorted(second.validations) == NAMES
    for name in NAMES:
        before, after = first.validations[name], second.validations[name]
        assert (before.mode, before.reason and before.reason.code) == ("full", "no_state")
        assert before.features_since is None
        assert after.mode == "incremental" and after.reason is None
        assert after.since == after.features_since == FIRST
        assert after.checked > 0 and after.unchanged > 0
    states = {name: json.loads(text) for name, text in _states(home).items()}
    assert sorted(states) == [f"academie={name}" for name in NAMES]
    assert {state["as_of"] for state in states.values()} == {AS_OF.isoformat()}
    assert all(state["partition"] == name for name, state in states.items())
    assert _hidden(home) == []
    # The run without states keeps none.
    assert not (two_weeks["rebuilt"][1] / STATE_FOLDER).exists()
    assert two_weeks["rebuilt"][2][1].validations == {}


def test_the_weeks_from_the_states_are_those_rebuilt_from_every_event(
    two_weeks: dict[str, tuple[Store, Path, list[WeeklyScoring]]],
) -> None:
    incremental, rebuilt = two_weeks["incremental"][0], two_weeks["rebuilt"][0]
    assert week_content(incremental) == week_content(rebuilt)
    uais = sorted({row[0] for row in week_content(rebuilt)["entries"]})
    assert len(uais) == 6
    for uai in uais:
        features, contributions = lineage_frames(incremental, uai)
        expected_features, expected_contributions = lineage_frames(rebuilt, uai)
        pd.testing.assert_frame_equal(features, expected_features, check_exact=True)
        pd.testing.assert_frame_equal(contributions, expected_contributions, check_exact=True)


def test_an_academie_scored_alone_then_with_the_others_keeps_one_state(
    academies: Path,
    registered: RegisteredModel,
    two_weeks: dict[str, tuple[Store, Path, list[WeeklyScoring]]],
    tmp_path: Path,
) -> None:
    for store in sqlite_store(tmp_path):
        score_week_incremental(academies / "academie=Rennes", FIRST, store, registered,
                               home=tmp_path, watch_threshold=0.2)  # fmt: skip
        result = _week(academies, AS_OF, store, registered, tmp_path)  # here, no cluster

        nantes, rennes = result.validations["Nantes"], result.validations["Rennes"]
        assert (nantes.mode, nantes.reason and nantes.reason.code) == ("full", "no_state")
        assert (rennes.mode, rennes.features_since) == ("incremental", FIRST)
        rows = week_content(store)["entries"]
        expected = week_content(two_weeks["rebuilt"][0])["entries"]
        # Rennes's lists (those of FIRST here, whose risk changes and new entries AS_OF's
        # lists depend on) are those of the run that rebuilt both weeks.
        rennes = {row[0] for row in rows if row[2] == FIRST.isoformat()}
        assert len(rennes) == 3
        assert [row for row in rows if row[0] in rennes] == [
            row for row in expected if row[0] in rennes
        ]
        for uai in sorted({row[0] for row in rows}):
            features, _ = lineage_frames(store, uai)
            expected_features, _ = lineage_frames(two_weeks["rebuilt"][0], uai)
            pd.testing.assert_frame_equal(features, expected_features, check_exact=True)
        assert _hidden(tmp_path) == []


def _first_week_home(academies: Path, registered: RegisteredModel, tmp_path: Path) -> Path:
    """A home holding the week FIRST written from no state (the states it kept)."""
    home = tmp_path / "home"
    for store in sqlite_store(home):
        _week(academies, FIRST, store, registered, home)
    return home


def test_an_invalid_partition_keeps_every_state_as_it_was(
    academies: Path, registered: RegisteredModel, cluster: Client, tmp_path: Path
) -> None:
    home = _first_week_home(academies, registered, tmp_path)
    before = _states(home)
    broken = tmp_path / "broken"  # next week's delivery, in a folder of its own
    shutil.copytree(academies, broken)
    table = broken / "academie=Nantes" / "students.parquet"
    frame = pd.read_parquet(table)
    frame.loc[2, "sex"] = "X"
    frame.to_parquet(table, index=False)

    for store in sqlite_store(home):
        with pytest.raises(PartitionError, match="academie=Nantes"):
            _week(broken, AS_OF, store, registered, home, client=cluster)
        # Rennes's task succeeded and prepared its state; the week was not written.
        assert _states(home) == before
        assert _hidden(home) == []
        # The next delivery, valid, goes on from the states of FIRST.
        result = _week(academies, AS_OF, store, registered, home, client=cluster)
        assert {v.mode for v in result.validations.values()} == {"incremental"}


def test_a_worker_killed_after_preparing_its_state_leaves_one_state_kept(
    academies: Path,
    registered: RegisteredModel,
    fault_cluster: Client,
    two_weeks: dict[str, tuple[Store, Path, list[WeeklyScoring]]],
    tmp_path: Path,
) -> None:
    home = _first_week_home(academies, registered, tmp_path)
    task = functools.partial(killed_once_scored, victim="Rennes", marker=tmp_path / "killed")

    for store in sqlite_store(home):
        result = _week(academies, AS_OF, store, registered, home, client=fault_cluster, task=task)

        assert (tmp_path / "killed").exists()
        assert {v.mode for v in result.validations.values()} == {"incremental"}
        assert week_content(store) == week_content(two_weeks["rebuilt"][0])
    # The killed attempt's prepared files are gone with the ones the week did not keep.
    assert _hidden(home) == []
    states = {name: json.loads(text) for name, text in _states(home).items()}
    assert {state["as_of"] for state in states.values()} == {AS_OF.isoformat()}
    for name, state in states.items():
        kept = {state["students_file"], *state["sums"]["files"].values()}
        assert sorted(p.name for p in (home / STATE_FOLDER / name).glob("*.parquet")) == sorted(
            kept
        )


def _move_between_academies(academies: Path, out: Path, left: dt.date) -> tuple[str, str, str]:
    """`academies` copied to `out`, one student of Nantes enrolled on AS_OF moved to a
    Rennes school: their enrollment in Nantes ends on `left` (their later events gone), and
    Rennes gets their student row and an enrollment from the day after. Returns the
    student, the Nantes school and the Rennes school."""
    shutil.copytree(academies, out)
    nantes, rennes = out / "academie=Nantes", out / "academie=Rennes"
    enrollments = pd.read_parquet(nantes / "enrollments.parquet")
    open_now = enrollments[enrollments["end_date"].isna()
                           & (enrollments["school_year"] == "2026-2027")]  # fmt: skip
    row = open_now.index[0]
    student, school = str(enrollments.at[row, "student_id"]), str(enrollments.at[row, "uai"])
    enrollments.loc[row, ["end_date", "exit_reason"]] = [left, "transferred"]
    enrollments.to_parquet(nantes / "enrollments.parquet", index=False)
    for table in ("attendance", "grades"):
        events = pd.read_parquet(nantes / f"{table}.parquet")
        later = (events["student_id"] == student) & (pd.to_datetime(events["date"]).dt.date > left)
        events[~later].to_parquet(nantes / f"{table}.parquet", index=False)
    students = pd.read_parquet(nantes / "students.parquet")
    arriving = students[students["student_id"] == student]
    there = pd.read_parquet(rennes / "students.parquet")
    pd.concat([there, arriving], ignore_index=True).to_parquet(
        rennes / "students.parquet", index=False
    )
    theirs = pd.read_parquet(rennes / "enrollments.parquet")
    model = theirs[theirs["end_date"].isna() & (theirs["school_year"] == "2026-2027")].iloc[[0]]
    new = model.assign(student_id=student, start_date=left + dt.timedelta(days=1))
    pd.concat([theirs, new], ignore_index=True).to_parquet(
        rennes / "enrollments.parquet", index=False
    )
    return student, school, str(model["uai"].iloc[0])


def test_a_student_who_moves_between_academies_is_reached_by_the_new_school_only(
    academies: Path, registered: RegisteredModel, cluster: Client, tmp_path: Path
) -> None:
    """A student leaves a Nantes school for a Rennes one between two weeks run from the
    académies' states: both académies go on incrementally (their rows changed are checked
    again), the week is the one rebuilt from every event, and from that week on only the
    Rennes school's watch unit reaches the student, also once the week is written again."""
    from serving.services import AccessDenied, get_student_record
    from tests.serving.conftest import make_actor

    moved = tmp_path / "moved"
    student, old_school, new_school = _move_between_academies(
        academies, moved, FIRST + dt.timedelta(days=1)
    )
    contents = []
    for incremental in (True, False):
        home = tmp_path / f"home-{incremental}"
        for store in sqlite_store(home):
            _week(academies, FIRST, store, registered, home, incremental=incremental)
            before = get_student_record(store, make_actor("watch_unit", old_school), student)
            assert before.uai == old_school  # before the move
            result = _week(moved, AS_OF, store, registered, home, client=cluster,
                           incremental=incremental)  # fmt: skip
            if incremental:
                validations = result.validations
                assert {v.mode for v in validations.values()} == {"incremental"}
                assert validations["Nantes"].students_rechecked >= 1
                assert validations["Rennes"].students_rechecked >= 1
            contents.append(week_content(store))
            for _ in range(2):  # the week, then the same week written again
                with pytest.raises(AccessDenied):
                    get_student_record(store, make_actor("watch_unit", old_school), student)
                record = get_student_record(store, make_actor("watch_unit", new_school), student)
                assert record.uai == new_school
                _week(moved, AS_OF, store, registered, home, incremental=incremental)
            rows = [row for row in week_content(store)["entries"] if row[2] == AS_OF.isoformat()]
            assert all(row[0] != old_school for row in rows if row[6] == student)
    assert contents[0] == contents[1]
