"""A user whose establishment was taken away while signed in (a token in use, a dashboard
session with a download button on screen): the next request, and the click on an export
built at the click, are refused at once, as for an establishment never held."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import delete, select

from app_dashboard.exports import deferred_export
from serving.db.models import AuditEntry, User, UserScope
from serving.services import (
    AccessDenied,
    NewDismissal,
    NewInterview,
    NotAuthenticated,
    dismiss_student,
    record_interview,
)
from serving.services.notice import issue_notice
from serving.services.users import authenticate_token
from tests.serving.conftest import HOME_UAI, WEEK, World, make_actor

LIST = f"/v1/establishments/{HOME_UAI}/lists/{WEEK.isoformat()}"
NEVER_HELD = f"/v1/establishments/0000000X/lists/{WEEK.isoformat()}"


def _remove_scope(world: World, username: str, uai: str) -> None:
    with world.store.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        session.execute(delete(UserScope).where(UserScope.user_id == user_id, UserScope.uai == uai))


def test_an_establishment_removed_from_a_token_users_scope_is_refused_at_the_next_request(
    world: World, api: httpx.Client
) -> None:
    headers = world.headers("watch_unit")
    for _ in range(2):  # the second list read comes from the cache
        assert api.get(LIST, headers=headers).status_code == 200
        assert api.get("/v1/students/H001", headers=headers).status_code == 200
    _remove_scope(world, "cpe.home", HOME_UAI)
    listed, never = api.get(LIST, headers=headers), api.get(NEVER_HELD, headers=headers)
    assert (listed.status_code, never.status_code) == (403, 403)
    assert "NomH001" not in listed.text
    student, unknown = (api.get(f"/v1/students/{i}", headers=headers) for i in ("H001", "NOPE42"))
    assert (student.status_code, student.json()) == (unknown.status_code, unknown.json())
    assert student.status_code == 403 and "NomH001" not in student.text


def test_an_export_clicked_after_the_scope_changed_is_not_built(world: World) -> None:
    actor = authenticate_token(world.store, world.tokens.watch_unit)
    built: list[bool] = []

    def build() -> bytes:
        built.append(True)
        return b"notice"

    export = deferred_export(world.store, actor, build, 30)
    assert export() == b"notice"
    _remove_scope(world, "cpe.home", HOME_UAI)
    with pytest.raises(NotAuthenticated, match="signed out"):
        export()
    assert built == [True]


ONLY_THE_WATCH_UNIT = {
    "issue_notice": lambda world, actor, student: issue_notice(world.store, actor, student, WEEK),
    "record_interview": lambda world, actor, student: record_interview(
        world.store, actor, NewInterview(student_id=student, notes="x")
    ),
    "dismiss": lambda world, actor, student: dismiss_student(
        world.store, actor, NewDismissal(student_id=student, reason="pas utile")
    ),
}


@pytest.mark.parametrize("action", sorted(ONLY_THE_WATCH_UNIT))
@pytest.mark.parametrize("role", ["inspector", "data_scientist", "admin"])
def test_a_role_not_allowed_an_action_about_a_student_is_refused_before_any_lookup(
    world: World, role: str, action: str
) -> None:
    """The role is refused whatever the id: an unknown one too, audited the same way (the
    académie-wide roles may be told an id is unknown only where their role may act)."""
    actor = make_actor(role)
    refusals = []
    for student_id in ("H001", "NOPE42"):
        with pytest.raises(AccessDenied) as refused:
            ONLY_THE_WATCH_UNIT[action](world, actor, student_id)
        refusals.append(str(refused.value))
    assert refusals[0] == refusals[1]
    with world.store.reading() as session:
        denied = session.execute(
            select(AuditEntry.action, AuditEntry.student_id)
            .where(AuditEntry.outcome == "denied", AuditEntry.username == actor.username)
            .order_by(AuditEntry.id)
        ).all()
    assert denied == [(action, "H001"), (action, "NOPE42")]
