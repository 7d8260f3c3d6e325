"""The service layer on its own: the role matrix, users and their secrets, interviews."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from serving.db.models import AuditEntry, User
from serving.security import hash_password, issue_token, parse_token, verify_password
from serving.services import (
    AccessDenied,
    Conflict,
    InvalidRequest,
    NewUser,
    NotAuthenticated,
    NotFound,
    add_user,
    authenticate_password,
    authenticate_token,
    disable_user,
    get_student_record,
    get_week_list,
    list_users,
    renew_token,
)
from serving.services.actor import (
    may_manage_users,
    may_read_audit_log,
    may_read_students,
    may_record,
    sees_names,
    sees_notes,
)
from serving.services.interviews import check_interview
from tests.serving.conftest import HOME_UAI, OPERATOR, OTHER_UAI, WEEK, World, make_actor

UNIT = make_actor("watch_unit", HOME_UAI)
INSPECTOR = make_actor("inspector")
SCIENTIST = make_actor("data_scientist")
ADMIN = make_actor("admin")

# (actor, read home students, read other students, record home, names home, notes written by
# home, audit, users): notes are free text, for the writing establishment's watch unit only.
MATRIX = [
    (UNIT, True, False, True, True, True, False, False),
    (INSPECTOR, True, True, False, False, False, True, False),
    (SCIENTIST, True, True, False, False, False, False, False),
    (ADMIN, False, False, False, False, False, True, True),
]


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row[0].role)
def test_role_matrix(row: tuple) -> None:
    actor, home, other, records, names, notes, audit, users = row
    assert may_read_students(actor, HOME_UAI) is home
    assert may_read_students(actor, OTHER_UAI) is other
    assert may_record(actor, HOME_UAI) is records
    assert may_record(actor, OTHER_UAI) is False
    assert sees_names(actor, HOME_UAI) is names
    assert sees_names(actor, OTHER_UAI) is False
    assert sees_notes(actor, HOME_UAI) is notes
    assert sees_notes(actor, OTHER_UAI) is False
    assert may_read_audit_log(actor) is audit
    assert may_manage_users(actor) is users


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row[0].role)
def test_services_follow_the_matrix_and_audit_every_read(world: World, row: tuple) -> None:
    actor, home, other, *_ = row
    for uai, allowed in ((HOME_UAI, home), (OTHER_UAI, other)):
        if allowed:
            assert get_week_list(world.store, actor, uai, WEEK).uai == uai
        else:
            with pytest.raises(AccessDenied):
                get_week_list(world.store, actor, uai, WEEK)
    for student_id, allowed in (("H001", home), ("O001", other)):
        if allowed:
            assert get_student_record(world.store, actor, student_id).student_id == student_id
        else:
            with pytest.raises(AccessDenied):
                get_student_record(world.store, actor, student_id)
    with world.store.reading() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.username == actor.username)
        ).all()
    expected = ["allowed" if home else "denied", "allowed" if other else "denied"] * 2
    assert [entry.outcome for entry in entries] == expected
    assert [entry.action for entry in entries] == ["read_list"] * 2 + ["read_student"] * 2


def test_interview_transitions() -> None:
    check_interview("to_invite", "invited", None)
    check_interview("invited", "held", "foquale")
    check_interview("invited", "invited", None)
    for current, new in [
        ("to_invite", "held"),
        ("held", "invited"),
        ("declined", "invited"),
        ("not_needed", "held"),
        ("held", "declined"),
    ]:
        with pytest.raises(Conflict):
            check_interview(current, new, None)
    with pytest.raises(InvalidRequest, match="held"):
        check_interview("to_invite", "invited", "aar")


def test_tokens_are_random_and_stored_hashed(world: World) -> None:
    first, second = issue_token(), issue_token()
    assert first.plaintext != second.plaintext
    assert parse_token(first.plaintext) == (first.token_id, first.plaintext.split("_", 2)[2])
    assert parse_token(first.plaintext + "x") is None
    with world.store.reading() as session:
        stored = session.scalar(select(User).where(User.username == "cpe.home"))
    secret = world.tokens.watch_unit.split("_", 2)[2]
    assert stored.token_hash != secret and secret not in stored.token_hash
    assert stored.token_id == world.tokens.watch_unit.split("_")[1]


def test_authentication_by_token(world: World) -> None:
    actor = authenticate_token(world.store, world.tokens.watch_unit)
    assert (actor.username, actor.role, actor.establishments) == (
        "cpe.home",
        "watch_unit",
        frozenset({HOME_UAI}),
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=91)
    with pytest.raises(NotAuthenticated):
        authenticate_token(world.store, world.tokens.watch_unit, now=later)
    with pytest.raises(NotAuthenticated):
        authenticate_token(world.store, None)
    _, new_token = renew_token(world.store, OPERATOR, "cpe.home", token_days=1)
    with pytest.raises(NotAuthenticated):
        authenticate_token(world.store, world.tokens.watch_unit)  # the old one stopped working
    assert authenticate_token(world.store, new_token).username == "cpe.home"


def test_passwords(world: World) -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong")
    assert not verify_password("not a hash", "wrong")
    add_user(
        world.store,
        OPERATOR,
        NewUser("principal", "watch_unit", (HOME_UAI,), password="correct horse battery"),
    )
    assert authenticate_password(world.store, "principal", "correct horse battery").role == (
        "watch_unit"
    )
    with pytest.raises(NotAuthenticated):
        authenticate_password(world.store, "principal", "wrong password")
    disable_user(world.store, OPERATOR, "principal")
    with pytest.raises(NotAuthenticated):
        authenticate_password(world.store, "principal", "correct horse battery")


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (NewUser("Bad Name", "inspector"), "username"),
        (NewUser("unit", "watch_unit"), "at least one establishment"),
        (NewUser("unit", "watch_unit", ("35",)), "not UAIs"),
        (NewUser("insp", "inspector", (HOME_UAI,)), "whole académie"),
        (NewUser("insp", "superuser"), "role"),  # type: ignore[arg-type]
        (NewUser("insp", "inspector", password="short"), "password"),
    ],
)
def test_user_checks(world: World, new: NewUser, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        add_user(world.store, OPERATOR, new)


def test_only_admins_manage_users(world: World) -> None:
    with pytest.raises(AccessDenied):
        add_user(world.store, INSPECTOR, NewUser("someone", "inspector"))
    with pytest.raises(AccessDenied):
        list_users(world.store, UNIT)
    with pytest.raises(Conflict):
        add_user(world.store, ADMIN, NewUser("inspector", "inspector"))
    with pytest.raises(NotFound):
        disable_user(world.store, ADMIN, "nobody")
    users = list_users(world.store, ADMIN)
    assert [user.username for user in users] == sorted(user.username for user in users)
    assert all(not hasattr(user, "token_hash") for user in users)
