"""The access policy as users meet it: every service function, called as every role and as
no role, is allowed or refused exactly as the table (`serving.services.policy.POLICY`) says,
each refusal audited; every API route but the named public ones answers 401 without a
token. Service functions are found in their modules, not listed here: one added without an
entry in the table fails this test."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pandas as pd
import pytest
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import func, select

import serving.services
from serving.api.app import PUBLIC_PATHS, refuse_open_routes, route_guards
from serving.api.deps import AUTHENTICATED
from serving.db.models import AuditEntry
from serving.services import (
    AccessDenied,
    InterviewChanges,
    NewDismissal,
    NewInterview,
    NewUser,
    record_interview,
)
from serving.services.actor import Actor
from serving.services.leaver_views import ContactChanges, NewContact
from serving.services.policy import POLICY, Action, action_of, allows, audit_name
from tests.serving.conftest import HOME_UAI, OTHER_UAI, WEEK, LiveServer, World, make_actor

# Modules that hold the policy's machinery, not services: they take an actor to apply a rule
# or audit it, not to perform an action.
MACHINERY = {"serving.services.audit", "serving.services.guard", "serving.services.policy"}
# Functions that take an actor without performing an action of the table, and why.
NOT_ACTIONS = {
    # The dashboard re-reads the signed-in user's own role and scopes on every page.
    "serving.services.users.refresh_actor",
}

ACTORS: dict[str, Actor] = {
    "home_watch_unit": make_actor("watch_unit", HOME_UAI),
    "other_watch_unit": make_actor("watch_unit", OTHER_UAI),
    "home_mlds": make_actor("mlds", HOME_UAI),
    "other_mlds": make_actor("mlds", OTHER_UAI),
    "inspector": make_actor("inspector"),
    "data_scientist": make_actor("data_scientist"),
    "admin": make_actor("admin"),
    "no_role": Actor.system(),
}


def service_functions() -> dict[str, Callable[..., Any]]:
    """Every public function of the service modules (and of posted-data scoring) whose
    parameters start with the store and the actor, by qualified name."""
    modules = [
        importlib.import_module(f"serving.services.{info.name}")
        for info in pkgutil.iter_modules(serving.services.__path__)
    ]
    modules.append(importlib.import_module("serving.scoring.posted"))
    found = {}
    for module in modules:
        if module.__name__ in MACHINERY:
            continue
        for name, function in inspect.getmembers(module, inspect.isfunction):
            qualified = f"{module.__name__}.{name}"
            if function.__module__ != module.__name__ or name.startswith("_"):
                continue
            if qualified in NOT_ACTIONS:
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:2] == ["store", "actor"]:
                found[qualified] = function
    return found


SERVICES = service_functions()
# Services about no establishment in particular, whose answer is cut to the actor's scope.
FILTERED = {"serving.services.dashboard_scope.visible_establishments"}


class Reached(Exception):
    """Raised by the test doubles: the call got past the access check to the data."""


class Unreachable:
    """An MLflow client, a model or a champion provider that the check must come before."""

    def __getattr__(self, name: str) -> Any:
        raise Reached(name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise Reached("called")


@pytest.fixture
def posted_home_students(monkeypatch: pytest.MonkeyPatch) -> None:
    """Posted tables whose students are all enrolled in the home establishment (the feature
    builder has its own tests; here only the establishments it finds matter)."""
    frame = pd.DataFrame({"student_id": ["H001"], "uai": [HOME_UAI]})
    monkeypatch.setattr(
        "serving.scoring.posted.posted_features",
        lambda tables, as_of: SimpleNamespace(frame=frame),
    )


def arguments(name: str, world: World, tmp_path: Path) -> tuple[Any, ...]:
    """The arguments after (store, actor) for one call of `name`, about the home
    establishment or its student H001 (or another user, for user management)."""
    missing = tmp_path / "missing"
    client = Unreachable()
    calls: dict[str, tuple[Any, ...]] = {
        "lists.get_week_list": (HOME_UAI, WEEK),
        "lists.week_list_json": (HOME_UAI, WEEK),
        "students.get_student_record": ("H001",),
        "interviews.record_interview": (NewInterview(student_id="H001"),),
        "interviews.update_interview": (_interview(world), InterviewChanges(notes="x")),
        "interviews.dismiss_student": (NewDismissal(student_id="H001", reason="déjà suivi"),),
        "audit_log.list_audit_log": (),
        "users.known_establishments": (),
        "users.add_user": (NewUser("someone.new", "inspector"),),
        "users.list_users": (),
        "users.disable_user": ("inspector",),
        "users.enable_user": ("inspector",),
        "users.reset_password": ("inspector",),
        "users.renew_token": ("inspector",),
        "sign_in_failures.recent_sign_in_failures": (),
        "dashboard_scope.visible_establishments": (),
        "dashboard_history.get_student_events": ("H001", WEEK),
        "dashboard_history.get_levels_and_classes": (HOME_UAI, WEEK),
        "dashboard_explain.get_student_waterfall": ("H001", WEEK, client),
        "dashboard_models.list_model_versions": (client, "vigie-dropout"),
        "dashboard_models.get_fairness_report": (client, "vigie-dropout"),
        "dashboard_models.get_comparison": (client, "vigie-dropout"),
        "dashboard_models.precision_at_k_by_week": (client, "vigie-dropout", ["champion"]),
        "dashboard_drift.get_feature_drift": (missing, WEEK),
        "dashboard_drift.get_champion_drift": (client, "vigie-dropout", WEEK),
        "monitoring.get_week_monitoring": (WEEK,),
        "monitoring.monitored_weeks": (),
        "notice.issue_notice": ("H001", WEEK),
        "suspensions.suspend": (HOME_UAI, "contrôle du modèle"),
        "suspensions.resume": (HOME_UAI, "contrôle terminé"),
        "suspensions.list_suspensions": (),
        "retention.purge": (WEEK,),
        "audit_retention.purge_audit_log": (WEEK,),
        "interview_outcomes.get_interview_outcomes": (_ENROLLMENTS, WEEK, HOME_UAI),
        "solutions.get_student_solutions": ("H001", WEEK),
        "solutions.get_suggestion_followed": (),
        "posted.score_posted": ({"students": [{"student_id": "H001"}]}, WEEK, client),
        "leavers.get_leavers": (WEEK, (HOME_UAI,)),
        "leavers.record_contact": (NewContact(student_id="H001", contact_date=WEEK, action="aar"),),
        "leavers.update_contact": (_contact(world), ContactChanges(outcome="accepted")),
    }
    short = name.removeprefix("serving.services.").removeprefix("serving.scoring.")
    assert short in calls, f"{name}: give this test the arguments of a call to it"
    return calls[short]


_ENROLLMENTS = pd.DataFrame(
    {"student_id": ["H001"], "uai": [HOME_UAI], "start_date": [dt.date(2025, 9, 1)],
     "end_date": [None], "exit_reason": [None]}
)  # fmt: skip


def keywords(name: str) -> dict[str, Any]:
    if name.endswith("recent_sign_in_failures"):
        return {"since": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
    return {}


def _interview(world: World) -> int:
    view = record_interview(
        world.store, ACTORS["home_watch_unit"], NewInterview(student_id="H001", notes="vu")
    )
    return view.id


def _contact(world: World) -> int:
    """A contact with H001 recorded by the home establishment's MLDS (written directly: the
    world's week records no extraction to find leavers in)."""
    from serving.db.models import LeaverContact

    with world.store.transaction() as session:
        contact = LeaverContact(
            student_id="H001", uai=HOME_UAI, contact_date=WEEK, action="aar", outcome="proposed",
            created_by="test.mlds", updated_by="test.mlds", revision=1,
        )  # fmt: skip
        session.add(contact)
        session.flush()
        return contact.id


def denials(world: World) -> list[tuple[str, str | None]]:
    with world.store.reading() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.username).where(AuditEntry.outcome == "denied")
        ).all()
    return [tuple(row) for row in rows]


def test_the_services_are_found() -> None:
    # The enumeration itself: the API's and the dashboard's services are among them.
    short = {name.rsplit(".", 1)[1] for name in SERVICES}
    assert {"get_week_list", "get_student_record", "record_interview", "score_posted"} <= short
    assert {"list_audit_log", "add_user", "get_champion_drift", "visible_establishments"} <= short
    assert len(SERVICES) >= 26


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_function_performs_an_action_of_the_table(name: str) -> None:
    action = action_of(SERVICES[name])
    assert action is not None, f"{name}: mark it with @performs(Action...) and give it a rule"
    assert action in POLICY


@pytest.mark.usefixtures("posted_home_students")
@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_role_is_allowed_or_refused_as_the_table_says(
    name: str, who: str, world: World, tmp_path: Path
) -> None:
    function, actor = SERVICES[name], ACTORS[who]
    action = action_of(function)
    assert action is not None
    args = arguments(name, world, tmp_path)
    before = denials(world)
    try:
        function(world.store, actor, *args, **keywords(name))
        outcome = "allowed"
    except AccessDenied:
        outcome = "refused"
    except Exception:  # past the check: the data (absent or stubbed here) decides the rest
        outcome = "allowed"
    # A call about the home establishment or its student; a choice of establishments is
    # filtered to the actor's scope instead (test below).
    target = None if name in FILTERED else HOME_UAI
    expected = "allowed" if allows(actor, action, target) else "refused"
    assert outcome == expected, (name, who)
    new = denials(world)[len(before) :]
    if expected == "refused":
        assert new == [(audit_name(action), actor.username)]
    else:
        assert new == []


def test_a_watch_unit_is_refused_a_mix_of_its_own_and_another_schools_students(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.scoring.posted import score_posted

    frame = pd.DataFrame({"student_id": ["H001", "O001"], "uai": [HOME_UAI, OTHER_UAI]})
    monkeypatch.setattr(
        "serving.scoring.posted.posted_features", lambda tables, as_of: SimpleNamespace(frame=frame)
    )
    with pytest.raises(AccessDenied, match="establishments are not in your scope"):
        score_posted(world.store, ACTORS["home_watch_unit"], {}, WEEK, Unreachable())
    with pytest.raises(Reached):  # the inspector gets to the model
        score_posted(world.store, ACTORS["inspector"], {}, WEEK, Unreachable())
    with world.store.reading() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "score_students")
        ).one()
    assert (entry.outcome, entry.uai) == ("denied", OTHER_UAI)


def test_a_choice_of_establishments_is_cut_to_the_actors_scope(world: World) -> None:
    from serving.services.dashboard_scope import visible_establishments

    def offered(who: str) -> list[str]:
        return [choice.uai for choice in visible_establishments(world.store, ACTORS[who])]

    assert offered("home_watch_unit") == [HOME_UAI]
    assert offered("other_watch_unit") == [OTHER_UAI]
    assert sorted(offered("inspector")) == sorted([HOME_UAI, OTHER_UAI])


def test_the_table_keeps_the_roles_documented() -> None:
    # DESIGN.md, "Roles": a few rows read back, so that a slip in the table shows here too.
    unit, other = ACTORS["home_watch_unit"], ACTORS["other_watch_unit"]
    assert allows(unit, Action.READ_LIST, HOME_UAI) and not allows(
        other, Action.READ_LIST, HOME_UAI
    )
    assert allows(ACTORS["inspector"], Action.READ_LIST, OTHER_UAI)
    assert not allows(ACTORS["admin"], Action.READ_STUDENT, HOME_UAI)
    assert not allows(ACTORS["inspector"], Action.RECORD_INTERVIEW, HOME_UAI)
    assert allows(ACTORS["inspector"], Action.READ_AUDIT_LOG)
    assert not allows(ACTORS["data_scientist"], Action.READ_AUDIT_LOG)
    assert allows(ACTORS["inspector"], Action.READ_FAIRNESS)
    assert not allows(ACTORS["inspector"], Action.READ_DRIFT)
    assert not any(allows(ACTORS["no_role"], action, HOME_UAI) for action in Action)
    assert set(POLICY) == set(Action)
    # The MLDS: its bassin's lists and students with names, its leavers; no recording of
    # interviews, no notes, no posted scoring, nothing outside the bassin.
    mlds = ACTORS["home_mlds"]
    assert allows(mlds, Action.READ_LIST, HOME_UAI) and not allows(
        mlds, Action.READ_LIST, OTHER_UAI
    )
    assert allows(mlds, Action.READ_LEAVERS, HOME_UAI)
    assert not allows(mlds, Action.READ_LEAVERS, OTHER_UAI)
    assert not allows(unit, Action.READ_LEAVERS, HOME_UAI)
    assert not allows(mlds, Action.RECORD_INTERVIEW, HOME_UAI)
    assert not allows(mlds, Action.SCORE_STUDENTS, HOME_UAI)
    assert not allows(mlds, Action.ISSUE_NOTICE, HOME_UAI)


# Values for the path parameters of the routes.
PATH_VALUES = {
    "uai": HOME_UAI,
    "week": WEEK.isoformat(),
    "student_id": "H001",
    "interview_id": "1",
    "contact_id": "1",
    "name": "swagger-ui.css",
}


def concrete(path: str) -> str:
    for parameter, value in PATH_VALUES.items():
        path = path.replace(f"{{{parameter}}}", value)
    assert "{" not in path, f"{path}: give this test a value for its parameters"
    return path


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    from fastapi.routing import iter_route_contexts

    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, str(route.path)


def test_every_route_but_the_named_public_ones_refuses_a_request_without_a_token(
    api: httpx.Client, live_server: LiveServer, world: World
) -> None:
    seen = list(routes(live_server.app))
    assert len(seen) >= 12
    assert {path for _, path in seen} >= PUBLIC_PATHS
    for method, path in seen:
        response = api.request(method, concrete(path))
        if path in PUBLIC_PATHS:
            assert response.status_code == 200, (method, path, response.text)
        else:
            assert response.status_code == 401, (method, path, response.text)
            assert response.json() == {"detail": "a valid bearer token is required"}
    # The same routes with a token: past authentication (whatever the route then says).
    for method, path in seen:
        response = api.request(method, concrete(path), headers=world.headers("inspector"))
        assert response.status_code != 401, (method, path)


def test_an_app_with_a_route_left_open_is_refused() -> None:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    guarded, forgotten = APIRouter(), APIRouter()

    @guarded.get("/v1/fine")
    def fine() -> None: ...

    @forgotten.get("/v1/forgotten")
    def open_route() -> None: ...

    app.include_router(guarded, dependencies=[AUTHENTICATED])
    refuse_open_routes(app)
    assert route_guards(app) == [("/v1/fine", True)]
    app.include_router(forgotten)
    with pytest.raises(RuntimeError, match="routes without authentication: /v1/forgotten"):
        refuse_open_routes(app)
    # A dependency of its own that is not the authentication does not count.
    other = APIRouter(dependencies=[Depends(lambda: None)])

    @other.get("/v1/other")
    def other_route() -> None: ...

    app2 = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app2.include_router(other)
    with pytest.raises(RuntimeError, match="/v1/other"):
        refuse_open_routes(app2)


def test_refusals_are_audited_once_per_call(world: World) -> None:
    # A refused read of the list is one denied entry naming the establishment.
    from serving.services import get_week_list

    with pytest.raises(AccessDenied):
        get_week_list(world.store, ACTORS["other_watch_unit"], HOME_UAI, WEEK)
    with world.store.reading() as session:
        count = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.outcome == "denied", AuditEntry.uai == HOME_UAI)
        )
    assert count == 1
