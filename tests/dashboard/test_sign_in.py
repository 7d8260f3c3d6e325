"""Signing in and staying signed in: throttled password guessing (growing delay, then a
lock that refuses even the right password), every sign-in audited with the username tried,
and a user disabled or changed in the store signed out at the next rerun."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from app_dashboard import auth, runtime
from serving.db.models import AuditEntry, User
from serving.services import Actor, NewUser, add_user, authenticate_password, disable_user
from tests.dashboard.conftest import app_as
from tests.dashboard.world import PASSWORD

ADMIN = Actor.operator("test")


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    ticking = Clock()
    auth.reset_throttles(ticking)
    yield ticking
    auth.reset_throttles()


def entries(store, action: str) -> list[AuditEntry]:
    with store.reading() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(session.scalars(query))


def new_user(store, world, username: str) -> str:
    add_user(store, ADMIN, NewUser(username, "watch_unit", (world.home_uai,), PASSWORD))
    return username


def attempt(app, username: str, password: str) -> None:
    app.text_input(key="login_username").input(username)
    app.text_input(key="login_password").input(password)
    next(b for b in app.button if b.label == "Se connecter").click()
    app.run()
    assert not app.exception


def test_ten_wrong_passwords_lock_the_username_even_for_the_right_one(store, world, clock):
    username = new_user(store, world, "cpe.guessed")
    app = app_as(store, None)
    app.run()
    for number in range(1, 11):
        attempt(app, username, f"wrong password {number}")
        assert app.error[0].value == "Identifiant ou mot de passe incorrect."
        waits = [e.value for e in app.error[1:]]
        assert bool(waits) == (number > 3)  # a growing delay after three failures
        clock.now += 60  # wait as told (at most a minute before the lock)
    assert waits == ["Trop de tentatives de connexion : réessayez dans 15 min."]

    attempt(app, username, PASSWORD)
    assert [e.value for e in app.error] == [
        "Trop de tentatives de connexion : réessayez dans 14 min."
    ]
    assert runtime.ACTOR not in app.session_state
    # The same refusal for a username that does not exist: nothing tells them apart.
    for number in range(10):
        attempt(app, "nobody.here", f"guess {number}")
        clock.now += 60
    clock.now -= 600
    attempt(app, "nobody.here", "guess")
    assert [e.value for e in app.error][-1].startswith("Trop de tentatives de connexion")

    failed = [e for e in entries(store, "login") if username in (e.detail or "")]
    assert len(failed) == 10 and {e.outcome for e in failed} == {"denied"}
    assert failed[0].detail == f"bad username or password for '{username}' from loopback"
    assert all("wrong password" not in (e.detail or "") for e in entries(store, "login"))
    [lock] = [e for e in entries(store, "login_flood") if username in (e.detail or "")]
    assert lock.detail.startswith(f"10 failed attempts for username '{username}' since")

    clock.now += 900  # the lock is over: the right password opens the list, audited
    attempt(app, username, PASSWORD)
    assert app.session_state[runtime.ACTOR].username == username
    assert app.title[0].value == "Liste de la semaine"
    [allowed] = [e for e in entries(store, "login") if e.username == username]
    assert (allowed.outcome, allowed.detail) == ("allowed", "password from loopback")


def test_an_attempt_during_the_delay_is_refused_unchecked(store, world, clock):
    username = new_user(store, world, "cpe.hurried")
    app = app_as(store, None)
    app.run()
    for number in range(4):
        attempt(app, username, f"wrong {number}")
    assert app.error[-1].value == "Trop de tentatives de connexion : réessayez dans 2 s."
    attempt(app, username, PASSWORD)  # too soon: not even checked
    assert [e.value for e in app.error] == ["Trop de tentatives de connexion : réessayez dans 2 s."]
    assert runtime.ACTOR not in app.session_state
    clock.now += 2
    attempt(app, username, PASSWORD)
    assert app.session_state[runtime.ACTOR].username == username


def signed_in(store, world, username: str):
    new_user(store, world, username)
    app = app_as(store, None)
    app.session_state[runtime.ACTOR] = authenticate_password(store, username, PASSWORD)
    app.run()
    assert app.title[0].value == "Liste de la semaine"
    return app


def test_a_disabled_user_is_signed_out_at_the_next_rerun(store, world):
    app = signed_in(store, world, "cpe.leaving")
    disable_user(store, ADMIN, "cpe.leaving")
    app.run()
    assert not app.exception
    assert runtime.ACTOR not in app.session_state
    assert app.subheader[0].value == "Connexion"
    assert app.warning[0].value.startswith("Votre session a été fermée")
    assert all(world.home_uai not in str(e.value) for e in app.caption)
    [ended] = [e for e in entries(store, "session_ended") if e.username == "cpe.leaving"]
    assert (ended.outcome, ended.detail) == ("denied", "user disabled or removed")


def test_a_user_whose_role_changed_is_signed_out_at_the_next_rerun(store, world):
    app = signed_in(store, world, "cpe.promoted")
    with store.transaction() as session:
        session.execute(
            update(User).where(User.username == "cpe.promoted").values(role="inspector")
        )
    app.run()
    assert runtime.ACTOR not in app.session_state
    [ended] = [e for e in entries(store, "session_ended") if e.username == "cpe.promoted"]
    assert ended.detail == "role or scopes changed"
