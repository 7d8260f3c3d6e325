"""The stop switch (`vigie suspend` / `vigie resume`, the admin's dashboard section): a
suspended establishment's lists are not served (API 503 with the reason, the service
refuses), other establishments are; the weekly run still stores the week, served once
resumed; every suspension and resumption is audited with who and why; only admins."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import func, select

from serving.db import Store
from serving.db.models import AuditEntry, WeeklyList
from serving.services import AccessDenied, Conflict, InvalidRequest, NotFound, Suspended
from serving.services.lists import get_week_list
from serving.services.students import get_student_record
from serving.services.suspensions import list_suspensions, resume, suspend
from serving.weekly import replace_week_lists
from tests.serving.conftest import (
    HOME_UAI,
    OPERATOR,
    OTHER_UAI,
    WEEK,
    World,
    make_actor,
    week_input,
)
from tests.serving.test_commands import home, invoke

__all__ = ["home"]  # the fixture, shared with test_commands

REASON = "Contrôle de la liste après une anomalie signalée"
LIST = "/v1/establishments/{uai}/lists/" + WEEK.isoformat()


def _list(api: httpx.Client, world: World, role: str, uai: str) -> httpx.Response:
    return api.get(LIST.format(uai=uai), headers=world.headers(role))


def _audited(store: Store, *actions: str) -> list[tuple[str, str, str | None, str | None]]:
    with store.reading() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.username, AuditEntry.uai, AuditEntry.detail)
            .where(AuditEntry.action.in_(actions))
            .order_by(AuditEntry.id)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_one_establishment_suspended_answers_503_with_the_reason(
    api: httpx.Client, world: World
) -> None:
    assert _list(api, world, "watch_unit", HOME_UAI).status_code == 200  # cached before
    suspend(world.store, OPERATOR, HOME_UAI, f"  {REASON} ")
    for role in ("watch_unit", "inspector"):
        refused = _list(api, world, role, HOME_UAI)
        assert refused.status_code == 503, role
        detail = refused.json()["detail"]
        assert REASON in detail and HOME_UAI in detail and OPERATOR.username in detail
    # The student's record too (its risks and reasons are the list's).
    record = api.get("/v1/students/H001", headers=world.headers("watch_unit"))
    assert record.status_code == 503 and REASON in record.json()["detail"]
    # Another establishment is served as before.
    other = _list(api, world, "other_watch_unit", OTHER_UAI)
    assert other.status_code == 200 and other.json()["entries"]
    assert api.get(LIST.format(uai=OTHER_UAI), headers=world.headers("inspector")).is_success
    # Out of scope stays a 403 (the suspension is not told to who may not read the list).
    assert _list(api, world, "other_watch_unit", HOME_UAI).status_code == 403

    resume(world.store, OPERATOR, HOME_UAI, "Liste vérifiée")
    served = _list(api, world, "watch_unit", HOME_UAI)
    assert served.status_code == 200 and [e["student_id"] for e in served.json()["entries"]]
    assert _audited(world.store, "suspend", "resume") == [
        ("suspend", OPERATOR.username, HOME_UAI, REASON),
        ("resume", OPERATOR.username, HOME_UAI, "Liste vérifiée"),
    ]
    (history,) = list_suspensions(world.store, OPERATOR)
    assert (history.uai, history.reason, history.suspended_by) == (
        HOME_UAI,
        REASON,
        OPERATOR.username,
    )
    assert history.resumed_at is not None and history.resume_reason == "Liste vérifiée"


def test_all_suspended_then_resumed(world: World) -> None:
    unit = make_actor("watch_unit", HOME_UAI)
    inspector = make_actor("inspector")
    suspend(world.store, OPERATOR, HOME_UAI, "vérification locale")
    suspend(world.store, OPERATOR, None, "incident national")
    # The oldest suspension in force is the one given: HOME's own, the académie's elsewhere.
    for uai, covering in ((HOME_UAI, HOME_UAI), (OTHER_UAI, None)):
        with pytest.raises(Suspended) as refused:
            get_week_list(world.store, inspector, uai, WEEK)
        assert refused.value.uai == covering
    with pytest.raises(Suspended, match=r"every establishment.*incident national"):
        get_week_list(world.store, inspector, OTHER_UAI, WEEK)
    with pytest.raises(Suspended):
        get_student_record(world.store, unit, "H001")
    with pytest.raises(Conflict, match="already suspended"):
        suspend(world.store, OPERATOR, None, "encore")
    # Lifting HOME's own suspension leaves it covered by the académie's one.
    resume(world.store, OPERATOR, HOME_UAI, "vérifié")
    with pytest.raises(Suspended, match="every establishment"):
        get_week_list(world.store, unit, HOME_UAI, WEEK)
    with pytest.raises(Conflict, match="every establishment is suspended"):
        resume(world.store, OPERATOR, HOME_UAI, "encore")
    lifted = resume(world.store, OPERATOR, None, "incident clos")
    assert [row.uai for row in lifted] == [None]
    assert get_week_list(world.store, unit, HOME_UAI, WEEK).entries
    assert get_week_list(world.store, inspector, OTHER_UAI, WEEK).entries
    with pytest.raises(NotFound, match="not suspended"):
        resume(world.store, OPERATOR, None, "rien")
    # The history keeps every suspension, newest first.
    history = list_suspensions(world.store, OPERATOR)
    assert [(row.uai, row.resume_reason) for row in history] == [
        (None, "incident clos"),
        (HOME_UAI, "vérifié"),
    ]
    assert [row[0] for row in _audited(world.store, "suspend", "resume")] == [
        "suspend",
        "suspend",
        "resume",
        "resume",
    ]


def test_resume_all_lifts_each_establishments_suspension(world: World) -> None:
    suspend(world.store, OPERATOR, HOME_UAI, "a")
    suspend(world.store, OPERATOR, OTHER_UAI, "b")
    assert {row.uai for row in resume(world.store, OPERATOR, None, "fin")} == {
        HOME_UAI,
        OTHER_UAI,
    }
    assert get_week_list(world.store, make_actor("inspector"), OTHER_UAI, WEEK).entries


@pytest.mark.parametrize("role", ["watch_unit", "inspector", "data_scientist"])
def test_only_admins_suspend_or_resume(world: World, role: str) -> None:
    actor = make_actor(role, HOME_UAI) if role == "watch_unit" else make_actor(role)
    with pytest.raises(AccessDenied, match="only admins"):
        suspend(world.store, actor, HOME_UAI, REASON)
    suspend(world.store, OPERATOR, HOME_UAI, REASON)
    with pytest.raises(AccessDenied, match="only admins"):
        resume(world.store, actor, HOME_UAI, "fin")
    with pytest.raises(Suspended):  # still suspended
        get_week_list(world.store, make_actor("inspector"), HOME_UAI, WEEK)
    denied = [row for row in _audited(world.store, "suspend", "resume") if row[1] == actor.username]
    assert [row[0] for row in denied] == ["suspend", "resume"]


def test_a_suspension_needs_a_reason_and_a_uai(world: World) -> None:
    with pytest.raises(InvalidRequest, match="reason"):
        suspend(world.store, OPERATOR, HOME_UAI, "   ")
    with pytest.raises(InvalidRequest, match="at most 300"):
        suspend(world.store, OPERATOR, HOME_UAI, "x" * 301)
    with pytest.raises(InvalidRequest, match="not a UAI"):
        suspend(world.store, OPERATOR, "0350023", REASON)
    with pytest.raises(InvalidRequest, match="reason"):
        resume(world.store, OPERATOR, HOME_UAI, "")
    assert list_suspensions(world.store, OPERATOR) == []


def test_the_weekly_run_stores_a_suspended_week_served_once_resumed(world: World) -> None:
    inspector = make_actor("inspector")
    suspend(world.store, OPERATOR, HOME_UAI, REASON)
    next_week = WEEK + dt.timedelta(days=7)
    written = replace_week_lists(
        world.store,
        as_of=next_week,
        model_version="vigie-dropout/3",
        establishments=week_input(),
        watch_threshold=0.3,
    )
    assert written.changed and written.withheld == (HOME_UAI,)
    with world.store.reading() as session:  # computed and stored
        stored = session.scalar(
            select(func.count())
            .select_from(WeeklyList)
            .where(WeeklyList.uai == HOME_UAI, WeeklyList.week == next_week)
        )
    assert stored == 1
    with pytest.raises(Suspended):  # not published
        get_week_list(world.store, inspector, HOME_UAI, next_week)
    assert get_week_list(world.store, inspector, OTHER_UAI, next_week).entries
    resume(world.store, OPERATOR, HOME_UAI, "Liste vérifiée")
    latest = get_week_list(world.store, inspector, HOME_UAI, next_week)
    assert latest.week == next_week and [e.student_id for e in latest.entries][:2] == [
        "H001",
        "H002",
    ]


def test_the_commands_suspend_list_and_resume(home: Path) -> None:
    both = invoke("suspend", "--all", "--establishment", HOME_UAI, "--reason", REASON)
    assert both.exit_code != 0 and "--all or --establishment" in both.output
    neither = invoke("resume", "--reason", "fin")
    assert neither.exit_code != 0
    done = invoke("suspend", "--establishment", HOME_UAI, "--reason", REASON, "--lang", "en")
    assert done.exit_code == 0, done.output
    assert f"Lists suspended ({HOME_UAI})" in done.stdout
    again = invoke("suspend", "--establishment", HOME_UAI, "--reason", REASON)
    assert again.exit_code == 1 and "already suspended" in again.output
    assert invoke("suspend", "--all", "--reason", "incident").exit_code == 0
    resumed = invoke("resume", "--all", "--reason", "incident clos")
    assert resumed.exit_code == 0 and "Listes reprises" in resumed.stdout
    assert HOME_UAI in resumed.stdout and "tous les établissements" in resumed.stdout
    history = json.loads(invoke("suspensions", "--json").stdout)
    assert [(row["uai"], row["resumed_by"]) for row in history] == [
        (None, "operator:tester"),
        (HOME_UAI, "operator:tester"),
    ]
    assert history[1]["reason"] == REASON and history[1]["resume_reason"] == "incident clos"


def test_scoring_posted_students_of_a_suspended_establishment_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from serving.scoring.posted import score_posted

    frame = pd.DataFrame({"student_id": ["H001"], "uai": [HOME_UAI]})
    monkeypatch.setattr(
        "serving.scoring.posted.posted_features",
        lambda tables, as_of: SimpleNamespace(frame=frame),
    )

    def champion() -> None:
        raise AssertionError("the model is not reached while suspended")

    suspend(world.store, OPERATOR, None, REASON)
    with pytest.raises(Suspended, match=REASON):
        score_posted(world.store, make_actor("inspector"), {}, WEEK, champion)  # type: ignore[arg-type]
