"""The weekly monitoring on a tiny two-week store: churn and slots by hand, payloads stored
with the week and replaced by a re-run, alerts logged without students, `vigie monitor`,
and the reads kept to data scientists and admins (`serving.monitoring`)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from serving.db.models import AuditEntry, WeekMonitoring
from serving.monitoring.metrics import Thresholds
from serving.monitoring.run import monitor_week
from serving.services import AccessDenied, NotFound
from serving.services.monitoring import get_week_monitoring
from serving.weekly import replace_week_lists
from tests.serving.conftest import HOME_UAI, OTHER_UAI, WEEK, World, establishment, make_actor

NEXT = WEEK + dt.timedelta(weeks=1)


def _second_week(world: World) -> None:
    """Home (2 slots): H003 and H001 invited after H001 and H002 (1 new of 2); other (1
    slot): O002 after O001 (1 new of 1)."""
    replace_week_lists(
        world.store, as_of=NEXT, model_version="vigie-dropout/3", watch_threshold=0.3,
        establishments=[
            establishment(HOME_UAI, "Collège", 2, {"H001": 0.6, "H002": 0.1, "H003": 0.7}),
            establishment(OTHER_UAI, "Lycée", 1, {"O001": 0.3, "O002": 0.8}),
        ],
    )  # fmt: skip


def _stored(world: World) -> list[tuple[dt.date, str, dict]]:
    with world.store.reading() as session:
        rows = session.scalars(select(WeekMonitoring).order_by(WeekMonitoring.kind))
        return [(row.week, row.kind, row.payload) for row in rows]


def test_churn_and_slots_of_a_two_week_store_and_a_rerun_replaces_them(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    _second_week(world)
    with caplog.at_level(logging.WARNING, logger="serving.monitoring.run"):
        result = monitor_week(world.store, thresholds=Thresholds(churn=0.9, slot_share=0.5))
    lists = result.payloads["lists"]
    assert result.week == NEXT and lists["previous_week"] == WEEK.isoformat()
    home, other = lists["establishments"][HOME_UAI], lists["establishments"][OTHER_UAI]
    assert (home["invited"], home["new"], home["churn"], home["slot_share"]) == (2, 1, 0.5, 1.0)
    assert (other["new"], other["churn"]) == (1, 1.0)
    assert lists["overall"]["churn"] == pytest.approx(2 / 3)
    assert [(a["kind"], a["scope"]) for a in result.alerts] == [("churn", OTHER_UAI)]
    # Without a registry nor a later extraction: said, not computed.
    assert set(result.unavailable()) == {"drift", "outcomes"}
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1 and OTHER_UAI in logged[0] and "churn" in logged[0]
    assert not any(student in logged[0] for student in ("O001", "O002", "H001"))

    first = _stored(world)
    assert [(week, kind) for week, kind, _ in first] == [
        (NEXT, "drift"), (NEXT, "lists"), (NEXT, "outcomes"),
    ]  # fmt: skip
    monitor_week(world.store, week=NEXT + dt.timedelta(days=2),
                 thresholds=Thresholds(churn=0.9, slot_share=0.5))  # fmt: skip
    assert _stored(world) == first  # same inputs, same rows: replaced, not added

    # The first week: no week before, churn unknown; kept beside the second.
    earlier = monitor_week(world.store, week=WEEK)
    assert earlier.payloads["lists"]["overall"]["churn"] is None
    assert len(_stored(world)) == 6


def test_a_week_never_written_is_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="2027-01-04"):
        monitor_week(world.store, week=dt.date(2027, 1, 6))


def test_the_monitoring_reads_are_for_data_scientists_and_admins(world: World) -> None:
    monitor_week(world.store)
    for role in ("data_scientist", "admin"):
        view = get_week_monitoring(world.store, make_actor(role))
        assert view.week == WEEK and set(view.payloads) == {"drift", "lists", "outcomes"}
    for actor in (make_actor("inspector"), make_actor("watch_unit", HOME_UAI)):
        with pytest.raises(AccessDenied, match="monitoring is not for this role"):
            get_week_monitoring(world.store, actor)
    with world.store.reading() as session:
        entries = session.execute(
            select(AuditEntry.role, AuditEntry.outcome).where(
                AuditEntry.action == "read_monitoring"
            )
        ).all()
    expected = [("data_scientist", "allowed"), ("admin", "allowed"), ("inspector", "denied"),
                ("watch_unit", "denied")]  # fmt: skip
    assert sorted(entries) == sorted(expected)


def test_vigie_monitor_stores_the_week_and_says_what_it_could_not_compute(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vigie.cli import app

    _second_week(world)
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("VIGIE_DATABASE_URL", world.url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("VIGIE_CHURN_THRESHOLD", "0.4")
    runner = CliRunner()
    result = runner.invoke(app, ["monitor", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Monitoring of the week of 07/12/2026 stored." in result.output
    assert "churn 67% against the week of 30/11/2026" in result.output
    assert "ALERT Churn churn (0350023K): 0.5" in result.output
    assert "Drift: not computed" in result.output
    stored = _stored(world)
    again = runner.invoke(app, ["monitor", "--week", NEXT.isoformat()])
    assert again.exit_code == 0, again.output
    assert "Suivi de la semaine du 07/12/2026 enregistré." in again.output
    assert _stored(world) == stored
    missing = runner.invoke(app, ["monitor", "--week", "2027-01-06"])
    assert missing.exit_code == 1 and "no list was written" in missing.output
