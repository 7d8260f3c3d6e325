"""The weekly monitoring on a tiny two-week store: churn and slots by hand, payloads stored
with the week and replaced by a re-run, alerts logged without students, `vigie monitor`,
and the reads kept to data scientists, admins and inspectors, through the services and
`GET /v1/monitoring` (`serving.monitoring`, `serving.api.routes.monitoring`)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from serving.db.models import AuditEntry, WeekMonitoring
from serving.monitoring.metrics import Thresholds
from serving.monitoring.run import monitor_week
from serving.services import AccessDenied, NotFound
from serving.services.monitoring import get_week_monitoring, monitored_weeks
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


def test_the_monitoring_reads_are_for_data_scientists_admins_and_inspectors(
    world: World,
) -> None:
    monitor_week(world.store)
    for role in ("data_scientist", "admin", "inspector"):
        view = get_week_monitoring(world.store, make_actor(role))
        assert view.week == WEEK and set(view.payloads) == {"drift", "lists", "outcomes"}
    for uai in (HOME_UAI, OTHER_UAI):  # not even its own establishment's share
        with pytest.raises(AccessDenied, match="monitoring is not for this role"):
            get_week_monitoring(world.store, make_actor("watch_unit", uai))
        with pytest.raises(AccessDenied, match="monitoring is not for this role"):
            monitored_weeks(world.store, make_actor("watch_unit", uai))
    with world.store.reading() as session:
        entries = session.execute(
            select(AuditEntry.role, AuditEntry.outcome).where(
                AuditEntry.action == "read_monitoring"
            )
        ).all()
    expected = [("data_scientist", "allowed"), ("admin", "allowed"), ("inspector", "allowed"),
                *[("watch_unit", "denied")] * 4]  # fmt: skip
    assert sorted(entries) == sorted(expected)


def test_the_monitored_weeks_newest_first(world: World) -> None:
    admin = make_actor("admin")
    assert monitored_weeks(world.store, admin) == []
    _second_week(world)
    monitor_week(world.store, week=WEEK)
    monitor_week(world.store, week=NEXT)
    assert monitored_weeks(world.store, admin) == [NEXT, WEEK]
    assert get_week_monitoring(world.store, admin, WEEK + dt.timedelta(days=3)).week == WEEK


@pytest.mark.parametrize("role", ["data_scientist", "admin", "inspector"])
def test_the_api_serves_a_weeks_monitoring_to_the_roles_allowed(
    api: httpx.Client, world: World, role: str
) -> None:
    _second_week(world)
    monitor_week(world.store, week=WEEK)
    monitor_week(world.store, thresholds=Thresholds(churn=0.9, slot_share=0.5))
    latest = api.get("/v1/monitoring", headers=world.headers(role))
    assert latest.status_code == 200, latest.text
    body = latest.json()
    assert body["week"] == NEXT.isoformat()
    assert [(a["kind"], a["scope"], a["threshold"]) for a in body["alerts"]] == [
        ("churn", OTHER_UAI, 0.9)
    ]
    assert set(body["unavailable"]) == {"drift", "outcomes"}
    assert body["lists"]["establishments"][HOME_UAI]["churn"] == 0.5
    earlier = api.get("/v1/monitoring", params={"week": "2026-12-02"}, headers=world.headers(role))
    assert earlier.status_code == 200 and earlier.json()["week"] == WEEK.isoformat()
    assert earlier.json()["lists"]["previous_week"] is None
    # No student anywhere in the body: aggregates only.
    assert not any(student in latest.text for student in ("H001", "H002", "O001", "O002"))


def test_the_api_refuses_the_watch_units_and_requests_without_a_token(
    api: httpx.Client, world: World
) -> None:
    monitor_week(world.store)
    for role in ("watch_unit", "other_watch_unit"):
        refused = api.get("/v1/monitoring", headers=world.headers(role))
        assert refused.status_code == 403
        assert refused.json() == {"detail": "monitoring is not for this role"}
    assert api.get("/v1/monitoring").status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    assert api.get("/v1/monitoring", headers=bad).status_code == 401
    with world.store.reading() as session:
        denied = session.scalars(
            select(AuditEntry.username).where(
                AuditEntry.action == "read_monitoring", AuditEntry.outcome == "denied"
            )
        ).all()
    assert sorted(denied) == ["cpe.home", "cpe.other"]


def test_the_api_says_a_week_never_monitored_and_refuses_a_bad_date(
    api: httpx.Client, world: World
) -> None:
    headers = world.headers("data_scientist")
    none = api.get("/v1/monitoring", headers=headers)
    assert none.status_code == 404 and "no monitoring" in none.json()["detail"]
    monitor_week(world.store)
    missing = api.get("/v1/monitoring", params={"week": "2026-06-01"}, headers=headers)
    assert missing.status_code == 404 and "2026-06-01" in missing.json()["detail"]
    for bad in ("20261130", "2026-13-01", "1"):
        refused = api.get("/v1/monitoring", params={"week": bad}, headers=headers)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
            "query", "week",
        ]  # fmt: skip


def test_the_route_is_documented(api: httpx.Client) -> None:
    operation = api.get("/openapi.json").json()["paths"]["/v1/monitoring"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
    assert [parameter["name"] for parameter in operation["parameters"]] == ["week"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/MonitoringBody")


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
    assert "ALERT: Churn (0350023K): 0.5 (threshold 0.4)." in result.output
    assert "Drift: not computed" in result.output
    stored = _stored(world)
    again = runner.invoke(app, ["monitor", "--week", NEXT.isoformat()])
    assert again.exit_code == 0, again.output
    assert "Suivi de la semaine du 07/12/2026 enregistré." in again.output
    assert "ALERTE : Renouvellement (0350023K) : 0,5 (seuil 0,4)." in again.output
    assert _stored(world) == stored
    missing = runner.invoke(app, ["monitor", "--week", "2027-01-06"])
    assert missing.exit_code == 1 and "no list was written" in missing.output
