"""The weekly run (`serving.scoring.score_week`) and `vigie score`: lists of the right length
with reasons in French and English, idempotent reruns, and failures (invalid extraction, no
champion, store error, interruption) that leave the previous lists exactly as they were."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from features.builder import build_features
from features.calendar import monday_on_or_before
from features.validation import InvalidExtractionError
from serving.db import Store, open_store
from serving.db.models import AuditEntry, Enrollment, ListEntry, Student, WeeklyList, WeeklyRun
from serving.list_payload import CONTEXT_KEY
from serving.scoring import RegisteredModel, score_week
from serving.services.actor import Actor
from serving.services.lists import get_week_list
from vigie.commands import score as score_command

from .test_scoring_support import (
    AS_OF,
    academie,
    list_snapshot,
    registered,
    registry,
    risk_model,
    tracking,
)

__all__ = ["academie", "registered", "registry", "risk_model", "tracking"]  # fixtures

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    yield opened
    opened.dispose()


def _home(store: Store) -> Path:
    """The home folder of a test's store (the folder of its SQLite file)."""
    database = store.engine.url.database
    assert database is not None
    return Path(database).parent


@pytest.fixture(scope="module")
def week_risks(academie: Path, registered: RegisteredModel) -> pd.DataFrame:
    """Every enrolled student's risk on AS_OF, computed apart from the run."""
    features = build_features(academie, [AS_OF])
    frame = features.frame.loc[:, ["student_id", "uai"]].copy()
    frame["risk"] = registered.model.predict_risk(features)
    return frame


@pytest.fixture(scope="module")
def threshold(week_risks: pd.DataFrame, academie: Path) -> float:
    """A watch threshold that puts a few students of the largest establishment beyond its
    capacity in the watch tier."""
    capacities = _capacities(academie)
    largest = week_risks["uai"].value_counts().index[0]
    risks = np.sort(week_risks.loc[week_risks["uai"] == largest, "risk"].to_numpy())[::-1]
    value = float(risks[capacities[largest] + 2])
    assert value > 0
    return value


def _capacities(academie: Path) -> dict[str, int]:
    frame = pd.read_parquet(academie / "establishments.parquet")
    return dict(zip(frame["uai"], frame["weekly_interview_capacity"].astype(int), strict=True))


def test_lists_hold_capacity_plus_watch_tier_with_reasons_in_french_and_english(
    academie: Path,
    registered: RegisteredModel,
    store: Store,
    week_risks: pd.DataFrame,
    threshold: float,
) -> None:
    result = score_week(
        academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold
    )
    assert result.written.changed
    assert result.model_version == "vigie-dropout/1"
    assert result.scored_students == len(week_risks)
    capacities = _capacities(academie)
    with store.reading() as session:
        lists = {row.uai: row for row in session.scalars(select(WeeklyList))}
        assert set(lists) == set(capacities)
        watch_total = without_reasons = 0
        for uai, weekly in lists.items():
            risks = week_risks.loc[week_risks["uai"] == uai, "risk"]
            expected = max(min(len(risks), capacities[uai]), int((risks >= threshold).sum()))
            entries = weekly.entries
            assert len(entries) == expected, uai
            assert weekly.model_version == "vigie-dropout/1"
            assert weekly.as_of == AS_OF
            tiers = [entry.tier for entry in entries]
            listed = min(len(risks), capacities[uai])
            assert tiers == ["invite"] * listed + ["watch"] * (expected - listed)
            watch_total += expected - listed
            assert [entry.rank for entry in entries] == list(range(1, expected + 1))
            top = sorted(risks, reverse=True)[:expected]
            np.testing.assert_allclose([entry.risk for entry in entries], top, rtol=1e-12)
            for entry in entries:
                # Own signals only: a student listed for her context has no reason to show.
                assert len(entry.reasons) <= 3
                without_reasons += not entry.reasons
                for reason in entry.reasons:
                    assert reason["text_fr"] and reason["text_en"]
                    assert reason["text_fr"] != reason["text_en"]
                    assert reason["direction"] == "raises"
                    assert entry.features_shown[reason["feature"]] == reason["value"]
                assert entry.features_shown["level"] and entry.features_shown["class_id"]
                assert entry.new_this_week
        assert watch_total > 0
        assert without_reasons < sum(len(weekly.entries) for weekly in lists.values()) / 2
        # Every enrolled student is on its establishment's roster, with the names, for the
        # watch unit only; the audit log holds the run, never a name.
        students = session.scalars(select(Student)).all()
        assert len(students) == len(week_risks)
        assert all(student.last_name and student.first_name for student in students)
        names = {student.last_name for student in students}
        details = [entry.detail or "" for entry in session.scalars(select(AuditEntry))]
        assert details and not any(name in detail for name in names for detail in details)
        # Each student's establishment is stored as the extraction's enrollment in force on
        # the as-of date, with its real start; the run is audited as the system's.
        facts = session.scalars(select(Enrollment)).all()
        assert len(facts) == len(week_risks)
        assert {f.student_id: f.uai for f in facts} == dict(
            zip(week_risks["student_id"], week_risks["uai"], strict=True)
        )
        assert all(f.start_date <= AS_OF and (f.end_date or AS_OF) >= AS_OF for f in facts)
        assert min(f.start_date for f in facts) < AS_OF - dt.timedelta(weeks=8)
        [run] = session.scalars(select(AuditEntry).where(AuditEntry.action == "write_week_lists"))
        assert run.username == "system"
        assert run.detail.startswith("by vigie score (OS user ")


def test_rerunning_the_same_week_changes_nothing(
    academie: Path, registered: RegisteredModel, store: Store, threshold: float
) -> None:
    first = score_week(
        academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold
    )
    before = list_snapshot(store)
    again = score_week(
        academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold
    )
    assert first.written.changed and not again.written.changed
    assert again.written.fingerprint == first.written.fingerprint
    assert list_snapshot(store) == before


def test_an_invalid_extraction_leaves_the_previous_lists(
    academie: Path, registered: RegisteredModel, store: Store, tmp_path: Path
) -> None:
    score_week(academie, AS_OF, store, registered, home=_home(store), watch_threshold=0.3)
    before = list_snapshot(store)
    broken = _broken_copy(academie, tmp_path)
    with pytest.raises(InvalidExtractionError) as raised:
        score_week(broken, AS_OF, store, registered, home=_home(store), watch_threshold=0.2)
    assert "weekly_interview_capacity" in str(raised.value.report.violations)
    assert list_snapshot(store) == before


def _broken_copy(academie: Path, tmp_path: Path) -> Path:
    """The académie with a negative interview capacity in the establishments table."""
    broken = tmp_path / "broken"
    shutil.copytree(academie, broken)
    establishments = pd.read_parquet(broken / "establishments.parquet")
    (broken / "establishments.parquet").unlink()
    establishments["weekly_interview_capacity"] = establishments[
        "weekly_interview_capacity"
    ].astype(str)
    establishments.loc[1, "weekly_interview_capacity"] = "-3"
    establishments.to_csv(broken / "establishments.csv", index=False)
    return broken


def test_a_store_failure_halfway_leaves_the_previous_lists(
    academie: Path,
    registered: RegisteredModel,
    store: Store,
    threshold: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    score_week(academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold)
    before = list_snapshot(store)
    _fail_after_first_establishment(
        monkeypatch, OperationalError("INSERT", {}, Exception("disk I/O error"))
    )
    with pytest.raises(OperationalError):
        score_week(academie, AS_OF, store, registered, home=_home(store), watch_threshold=None)
    assert list_snapshot(store) == before


def _fail_after_first_establishment(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make the store write the week's lists, then fail inside the transaction at the
    second establishment's entries (as a full disk, a lost connection or Ctrl-C would)."""
    import serving.weekly.store as weekly_store

    real = weekly_store._establishment_entries
    calls = []

    def failing(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 1:
            raise error
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(weekly_store, "_establishment_entries", failing)


# --- vigie score ---------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """A `vigie`-like app holding only `score`, with its home (and store) under tmp_path."""
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    app = typer.Typer()
    score_command.register(app)

    @app.callback()
    def _root() -> None:  # a group, so that the command is invoked by name as in `vigie`
        pass

    return app


def _cli_store(tmp_path: Path) -> Store:
    return Store.from_url(f"sqlite:///{tmp_path / 'home' / 'serving' / 'vigie.sqlite3'}")


def test_the_run_queues_with_the_stores_decisions_and_explains_exactly_the_queue(
    academie: Path,
    registered: RegisteredModel,
    store: Store,
    week_risks: pd.DataFrame,
    threshold: float,
) -> None:
    """An interview held for the top student of the largest establishment: the next run of
    the week puts the student in follow-up (explained, apart, with the risk then and now)
    and gives the slot to the next student; the rule is recorded with the run."""
    from models.queue import FollowUpRule
    from serving.services import NewInterview, record_interview
    from tests.serving.conftest import make_actor

    score_week(academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold)
    largest = week_risks["uai"].value_counts().index[0]
    ordered = week_risks[week_risks["uai"] == largest].sort_values(
        ["risk", "student_id"], ascending=[False, True]
    )
    top = str(ordered["student_id"].iloc[0])
    capacity = _capacities(academie)[largest]
    unit = make_actor("watch_unit", largest)
    record_interview(
        store,
        unit,
        NewInterview(student_id=top, status="held", interview_date=AS_OF, solution="aar"),
    )
    rule = FollowUpRule(held_weeks=3, dismissal_weeks=2, risk_margin=0.2)
    result = score_week(
        academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold, rule=rule
    )
    assert result.written.changed and result.written.followed == 1
    summary = {s.uai: s for s in result.establishments}[largest]
    assert (summary.listed, summary.followed) == (capacity, 1)
    with store.reading() as session:
        weekly = session.scalars(select(WeeklyList).where(WeeklyList.uai == largest)).one()
        invited = [e.student_id for e in weekly.entries if e.tier == "invite"]
        assert invited == [str(s) for s in ordered["student_id"].iloc[1 : capacity + 1]]
        [followed] = [e for e in weekly.entries if e.tier == "follow_up"]
        assert followed.student_id == top and followed.rank == len(weekly.entries)
        assert (followed.decision_kind, followed.decision_week) == ("held", AS_OF)
        assert followed.decision_solution == "aar"
        assert followed.decision_risk == pytest.approx(followed.risk)  # same week's list
        assert followed.reasons  # explained like the others
        watched = int((ordered["risk"].iloc[1:] >= threshold).sum()) - capacity
        assert len(weekly.entries) == capacity + max(watched, 0) + 1
        run = session.get(WeeklyRun, AS_OF)
        assert (run.held_weeks, run.dismissal_weeks, run.risk_margin) == (3, 2, 0.2)
    again = score_week(
        academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold, rule=rule
    )
    assert again.written.changed is False


def test_a_decision_recorded_while_the_week_is_scored_moves_the_slot(
    academie: Path,
    registered: RegisteredModel,
    store: Store,
    week_risks: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run explains the queue, then an interview held is recorded for the largest
    establishment's top student before the write: the write queues against it, so the
    student is apart and the capacity still goes to the next students, explained."""
    import serving.scoring.run as run
    from serving.services import NewInterview, record_interview
    from tests.serving.conftest import make_actor

    score_week(
        academie, AS_OF, store, registered, home=_home(store), watch_threshold=None
    )  # a week known
    largest = week_risks["uai"].value_counts().index[0]
    ordered = week_risks[week_risks["uai"] == largest].sort_values(
        ["risk", "student_id"], ascending=[False, True]
    )
    top = str(ordered["student_id"].iloc[0])
    capacity = _capacities(academie)[largest]
    real = run.replace_week_lists

    def decided_meanwhile(*args, **kwargs):
        unit = make_actor("watch_unit", largest)
        record_interview(store, unit, NewInterview(student_id=top, status="held",
                                                   interview_date=AS_OF))  # fmt: skip
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "replace_week_lists", decided_meanwhile)
    result = score_week(academie, AS_OF, store, registered, home=_home(store), watch_threshold=None)
    summary = {s.uai: s for s in result.establishments}[largest]
    assert (summary.listed, summary.followed) == (capacity, 1)
    with store.reading() as session:
        weekly = session.scalars(select(WeeklyList).where(WeeklyList.uai == largest)).one()
        entries = sorted(weekly.entries, key=lambda e: e.rank)
        invited = [e.student_id for e in entries if e.tier == "invite"]
        assert invited == [str(s) for s in ordered["student_id"].iloc[1 : capacity + 1]]
        assert all(e.reasons for e in entries)
        assert [(e.student_id, e.tier) for e in entries[capacity:]] == [(top, "follow_up")]


def test_the_write_takes_the_runs_queues_when_no_decision_came_in_between(
    academie: Path,
    registered: RegisteredModel,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run ranks every establishment's queue once: the write, reading the decisions the
    run ranked against, takes its queues as they are (the same week as a write that ranks
    them again: nothing changes)."""
    import serving.weekly.store as weekly_store

    def unranked(*args, **kwargs):
        raise AssertionError("ranked again")

    with monkeypatch.context() as patched:
        patched.setattr(weekly_store, "rank_students", unranked)
        taken = score_week(academie, AS_OF, store, registered, home=_home(store),
                           watch_threshold=0.2)  # fmt: skip
    assert taken.written.changed and taken.written.entries > 0
    real = weekly_store.replace_week_lists

    def ranking_again(*args, **kwargs):
        return real(*args, **{**kwargs, "ranked": None})

    monkeypatch.setattr("serving.scoring.run.replace_week_lists", ranking_again)
    again = score_week(academie, AS_OF, store, registered, home=_home(store), watch_threshold=0.2)
    assert again.written.changed is False
    assert again.written.fingerprint == taken.written.fingerprint


def _names(academie: Path) -> list[str]:
    students = pd.read_parquet(academie / "students.parquet")
    return [name for name in students["last_name"].dropna().unique() if len(name) > 3]


def test_vigie_score_writes_the_week_with_the_champion_and_prints_no_name(
    cli: typer.Typer, academie: Path, tracking: Path, tmp_path: Path
) -> None:
    args = ["score", "--data", str(academie), "--as-of", AS_OF.isoformat(), "--threshold", "0.2"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "vigie-dropout/1 (alias champion)" in result.stdout
    assert "lists written" in result.stdout
    for uai in _capacities(academie):
        assert uai in result.stdout
    assert not any(name in result.output for name in _names(academie))
    store = _cli_store(tmp_path)
    try:
        with store.reading() as session:
            versions = set(session.scalars(select(WeeklyList.model_version)))
            assert versions == {"vigie-dropout/1"}
            assert session.scalar(select(ListEntry.id).limit(1)) is not None
    finally:
        store.dispose()
    again = runner.invoke(cli, [*args[:-2], "--model-version", "1", "--threshold", "0.2"])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.stdout
    assert "Follow-up rule: held 10 weeks, dismissed 8 weeks, risk margin 0.1." in again.stdout
    rule = ["--held-weeks", "4", "--dismissal-weeks", "3", "--risk-margin", "0.15"]
    other = runner.invoke(cli, [*args, *rule])
    assert other.exit_code == 0, other.output
    assert "lists written" in other.stdout  # the rule is part of the week's fingerprint
    store = _cli_store(tmp_path)
    try:
        with store.reading() as session:
            run = session.scalars(select(WeeklyRun)).one()
            assert (run.held_weeks, run.dismissal_weeks, run.risk_margin) == (4, 3, 0.15)
    finally:
        store.dispose()
    bad = runner.invoke(cli, [*args, "--risk-margin", "0"])
    assert bad.exit_code != 0 and "risk_margin" in bad.output


def test_vigie_score_monitors_the_week_and_a_failed_monitoring_keeps_it_published(
    cli: typer.Typer, academie: Path, tracking: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from serving.db.models import WeekMonitoring

    args = ["score", "--data", str(academie), "--as-of", AS_OF.isoformat(), "--lang", "en"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    week = monday_on_or_before(AS_OF)
    assert f"Monitoring of the week of {week:%d/%m/%Y} stored." in result.stdout
    store = _cli_store(tmp_path)
    try:
        with store.reading() as session:
            kinds = set(session.scalars(select(WeekMonitoring.kind)))
        assert kinds == {"drift", "lists", "outcomes"}
        before = list_snapshot(store)

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("registry unreachable")

        monkeypatch.setattr("serving.monitoring.run.monitor_week", broken)
        again = runner.invoke(cli, [*args, "--no-watch"])
        assert again.exit_code == 0, again.output
        assert "lists written" in again.stdout
        assert (
            "The monitoring could not be computed: registry unreachable. The week's lists are "
            "published." in again.output
        )
        assert list_snapshot(store) != before  # the new week stands
    finally:
        store.dispose()


def test_vigie_score_without_champion_fails_naming_it_and_writes_nothing(
    cli: typer.Typer, academie: Path, tracking: Path, tmp_path: Path
) -> None:
    ok = runner.invoke(cli, ["score", "--data", str(academie), "--as-of", AS_OF.isoformat()])
    assert ok.exit_code == 0, ok.output
    store = _cli_store(tmp_path)
    before = list_snapshot(store)
    result = runner.invoke(
        cli,
        ["score", "--data", str(academie), "--as-of", AS_OF.isoformat(), "--model-alias", "nope"],
    )
    assert result.exit_code == 1
    assert "vigie-dropout has no nope version" in result.output
    assert "previous lists are untouched" in result.output
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    client.delete_registered_model_alias("vigie-dropout", "champion")
    try:
        result = runner.invoke(
            cli, ["score", "--data", str(academie), "--as-of", AS_OF.isoformat()]
        )
    finally:
        client.set_registered_model_alias("vigie-dropout", "champion", "1")
    assert result.exit_code == 1
    assert "no champion version" in result.output
    assert "vigie promote" in result.output
    assert list_snapshot(store) == before
    store.dispose()


def test_vigie_score_fails_with_exit_1_on_invalid_data_store_error_and_interruption(
    cli: typer.Typer,
    academie: Path,
    tracking: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["score", "--data", str(academie), "--as-of", AS_OF.isoformat()]
    assert runner.invoke(cli, args).exit_code == 0
    store = _cli_store(tmp_path)
    before = list_snapshot(store)

    broken = runner.invoke(cli, ["score", "--data", str(_broken_copy(academie, tmp_path)),
                                 "--as-of", AS_OF.isoformat()])  # fmt: skip
    assert broken.exit_code == 1
    assert "weekly_interview_capacity" in broken.output
    assert "untouched" in broken.output

    with monkeypatch.context() as patch:
        _fail_after_first_establishment(
            patch, OperationalError("INSERT", {}, Exception("database or disk is full"))
        )
        failed = runner.invoke(cli, [*args, "--no-watch"])
    assert failed.exit_code == 1
    assert "The store cannot be written: database or disk is full" in failed.output

    with monkeypatch.context() as patch:
        _fail_after_first_establishment(patch, KeyboardInterrupt())
        interrupted = runner.invoke(cli, [*args, "--no-watch"])
    assert interrupted.exit_code == 1
    assert "Interrupted" in interrupted.output
    assert list_snapshot(store) == before
    store.dispose()


def test_vigie_score_refuses_both_an_alias_and_a_version(cli: typer.Typer, academie: Path) -> None:
    result = runner.invoke(
        cli,
        ["score", "--data", str(academie), "--as-of", AS_OF.isoformat(),
         "--model-alias", "champion", "--model-version", "1"],
    )  # fmt: skip
    assert result.exit_code == 2


def test_the_api_champion_provider_loads_lazily_and_follows_the_alias(
    tracking: Path, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    from serving.scoring import ChampionProvider, ModelUnavailable

    provider = ChampionProvider(tmp_path, refresh_seconds=0.0)
    loaded = provider()
    assert loaded.label == "vigie-dropout/1"
    assert provider() is loaded  # cached while the alias points at the same version
    client = MlflowClient()
    client.delete_registered_model_alias("vigie-dropout", "champion")
    try:
        with pytest.raises(ModelUnavailable, match="vigie promote"):
            provider()
    finally:
        client.set_registered_model_alias("vigie-dropout", "champion", "1")
    assert provider().label == "vigie-dropout/1"


def test_explanation_records_hold_each_rows_reasons_in_rank_order(
    academie: Path, registered: RegisteredModel
) -> None:
    features = build_features(academie, [AS_OF])
    rows = np.arange(0, len(features), 7)
    explained = registered.model.explain(features, top=3, rows=rows)
    records = explained.to_records()
    assert [record["row"] for record in records] == list(explained.scores["row"])
    for record in records:  # the plain per-row filter gives the same reasons, in order
        part = explained.reasons[explained.reasons["row"] == record["row"]]
        for kind, name in (("why", "reasons"), ("protective", "protective")):
            expected = list(part.loc[part["kind"] == kind, "feature"])
            assert [reason["feature"] for reason in record[name]] == expected
    assert any(record["protective"] for record in records)


def test_each_listed_student_keeps_the_contexts_weight_for_the_list_and_the_api(
    academie: Path, registered: RegisteredModel, store: Store, threshold: float
) -> None:
    score_week(academie, AS_OF, store, registered, home=_home(store), watch_threshold=threshold)
    with store.reading() as session:
        stored = session.scalars(select(ListEntry)).all()
        assert stored and all(CONTEXT_KEY in entry.features_shown for entry in stored)
        uai = session.scalars(select(WeeklyList.uai)).first()
    view = get_week_list(
        store, Actor("test.inspector", "inspector"), uai, monday_on_or_before(AS_OF)
    )
    assert view.entries
    for entry in view.entries:
        context = entry.context
        assert context is not None and CONTEXT_KEY not in entry.features_shown
        # The context's weight is the risk minus the risk without it (probability points).
        assert entry.risk == pytest.approx(context.risk_without + context.points, abs=1e-9)
        assert 0.0 <= context.risk_without <= 1.0
        assert context.text_fr.startswith("Contexte (niveau, voie, établissement)")
        assert context.text_en.startswith("Context (level, track, establishment)")
        # Only own signals are reasons; the context is never one of them.
        assert all(reason.signal == "own" for reason in entry.reasons)


def test_the_runs_monitoring_uses_the_model_and_rows_it_holds(
    cli: typer.Typer, academie: Path, tracking: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The drift at the end of `vigie score` neither loads the champion again nor re-reads
    the week's snapshot (the run holds both); `vigie monitor` later does, and stores the
    same drift."""
    from types import SimpleNamespace
    from typing import Any

    import models.registry
    from serving.db.models import WeeklyRun, WeekMonitoring
    from serving.lineage import WeekLineage
    from vigie.commands.monitor import run_monitoring

    def reference(client: object, name: str, alias: str, artifact: str) -> tuple[object, object]:
        # The champion's training sample stands in as the week's own rows (read directly).
        store = _cli_store(tmp_path)
        try:
            with store.reading() as session:
                path = session.scalars(select(WeeklyRun.features_path)).one()
        finally:
            store.dispose()
        return SimpleNamespace(version="1"), pd.read_parquet(path)

    loads: list[object] = []
    reads: list[object] = []
    real_load, real_parts = models.registry.load_model, WeekLineage.feature_parts

    def counted_load(*args: Any, **kwargs: Any) -> Any:
        loads.append(args)
        return real_load(*args, **kwargs)

    def counted_parts(self: WeekLineage) -> Any:
        reads.append(self.week)
        return real_parts(self)

    monkeypatch.setattr("serving.services.dashboard_models.version_artifact_frame", reference)
    monkeypatch.setattr(models.registry, "load_model", counted_load)
    monkeypatch.setattr(WeekLineage, "feature_parts", counted_parts)
    result = runner.invoke(cli, ["score", "--data", str(academie), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert (loads, reads) == ([], [])
    week = monday_on_or_before(AS_OF)
    store = _cli_store(tmp_path)
    try:
        with store.reading() as session:
            first = session.get(WeekMonitoring, (week, "drift"))
            assert first is not None
            drift = first.payload
        assert "features" in drift and drift["score_psi"] is not None, drift
        assert drift["model_version"] == "vigie-dropout/1"
        run_monitoring(week, None, "en")  # `vigie monitor`: loads and reads, part by part
        assert len(loads) == 1 and reads == [week]
        with store.reading() as session:
            again = session.get(WeekMonitoring, (week, "drift"))
            assert again is not None
        assert again.payload == drift
    finally:
        store.dispose()
