"""Managing users through the service layer, as the admin's dashboard page and `vigie users`
both do: only admins, every action audited with the admin as actor and no secret, a new
token or password returned once and stored hashed, a disabled user locked out at once, and
the recent sign-in failures read back from the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from serving.db.audit_chain import verify_chain
from serving.db.models import AuditEntry, User
from serving.db.types import utc_now
from serving.security import parse_token, token_matches, verify_password
from serving.services import (
    AccessDenied,
    Conflict,
    InvalidRequest,
    NewUser,
    NotAuthenticated,
    add_user,
    authenticate_password,
    authenticate_token,
    disable_user,
    enable_user,
    known_establishments,
    list_users,
    renew_token,
    reset_password,
)
from serving.services.audit import record_anonymous_denial
from serving.services.dashboard_auth import actor_from_identity
from serving.services.sign_in_failures import recent_sign_in_failures, summarise
from serving.services.users import refresh_actor
from serving.throttle import Policy, Throttle
from tests.serving.conftest import HOME_UAI, OTHER_UAI, World, make_actor

ADMIN = make_actor("admin")
PASSWORD = "a long enough password"
SINCE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

# Every admin action, called as the dashboard and the CLI call it, on the user cpe.home.
ACTIONS: dict[str, Callable] = {
    "list_users": lambda store, actor: list_users(store, actor),
    "list_establishments": lambda store, actor: known_establishments(store, actor),
    "add_user": lambda store, actor: add_user(store, actor, NewUser("intruder", "admin")),
    "disable_user": lambda store, actor: disable_user(store, actor, "cpe.home"),
    "enable_user": lambda store, actor: enable_user(store, actor, "cpe.home"),
    "reset_password": lambda store, actor: reset_password(store, actor, "cpe.home"),
    "renew_token": lambda store, actor: renew_token(store, actor, "cpe.home"),
    "read_sign_in_failures": lambda store, actor: recent_sign_in_failures(
        store, actor, since=SINCE
    ),
}


def entries(world: World, **where: object) -> list[AuditEntry]:
    with world.store.reading() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return list(session.scalars(query))


def stored_user(world: World, username: str) -> User:
    with world.store.reading() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        session.expunge(user)
        return user


@pytest.mark.parametrize(
    "actor",
    [
        make_actor("watch_unit", HOME_UAI),
        make_actor("inspector"),
        make_actor("data_scientist"),
    ],
    ids=lambda actor: actor.role,
)
def test_every_admin_action_refuses_other_roles_and_is_audited(world: World, actor) -> None:
    before = stored_user(world, "cpe.home")
    for call in ACTIONS.values():
        with pytest.raises(AccessDenied, match="only admins"):
            call(world.store, actor)
    denied = entries(world, username=actor.username)
    assert [(e.action, e.outcome, e.role) for e in denied] == [
        (action, "denied", actor.role) for action in ACTIONS
    ]
    after = stored_user(world, "cpe.home")  # nothing changed
    assert (after.disabled, after.password_hash, after.token_hash) == (
        before.disabled,
        before.password_hash,
        before.token_hash,
    )
    assert "intruder" not in {user.username for user in list_users(world.store, ADMIN)}


def test_each_action_is_audited_with_the_admin_and_no_secret(world: World) -> None:
    new = NewUser("cpe.new", "watch_unit", (HOME_UAI, OTHER_UAI), password=PASSWORD)
    _, first_token = add_user(world.store, ADMIN, new, known_only=True)
    disable_user(world.store, ADMIN, "cpe.new")
    enable_user(world.store, ADMIN, "cpe.new")
    _, password = reset_password(world.store, ADMIN, "cpe.new")
    _, token = renew_token(world.store, ADMIN, "cpe.new", token_days=7)
    written = entries(world, username=ADMIN.username)
    assert [(e.action, e.outcome, e.role, e.detail) for e in written] == [
        ("add_user", "allowed", "admin", "cpe.new as watch_unit"),
        ("disable_user", "allowed", "admin", "cpe.new"),
        ("enable_user", "allowed", "admin", "cpe.new"),
        ("reset_password", "allowed", "admin", "cpe.new (generated)"),
        ("renew_token", "allowed", "admin", "cpe.new"),
    ]
    secrets = [PASSWORD, str(password), first_token, token, *parse_token(token)]  # type: ignore[misc]
    for entry in entries(world):
        assert not any(secret in (entry.detail or "") for secret in secrets)
    report = verify_chain(world.store)
    assert report.intact and report.verified == len(entries(world))


def test_a_new_token_is_returned_once_and_only_its_hash_stored(world: World) -> None:
    before = stored_user(world, "cpe.home")
    view, token = renew_token(world.store, ADMIN, "cpe.home")
    token_id, secret = parse_token(token) or ("", "")
    after = stored_user(world, "cpe.home")
    assert view.token_id == after.token_id == token_id != before.token_id
    assert token_matches(secret, after.token_hash or "")
    stored = [str(value) for value in vars(after).values()]
    assert not any(secret in value for value in stored)
    assert "token" not in view.model_dump_json().replace("token_id", "").replace(
        "token_expires_at", ""
    )
    assert not any(secret in value for value in map(str, view.model_dump().values()))
    with pytest.raises(NotAuthenticated):
        authenticate_token(world.store, world.tokens.watch_unit)  # the old token stopped
    assert authenticate_token(world.store, token).username == "cpe.home"


def test_a_disabled_user_can_no_longer_sign_in_nor_use_the_token_until_re_enabled(
    world: World,
) -> None:
    _, given = reset_password(world.store, ADMIN, "cpe.home", PASSWORD)
    assert given is None  # a password given is not handed back
    signed_in = authenticate_password(world.store, "cpe.home", PASSWORD)
    assert authenticate_token(world.store, world.tokens.watch_unit).username == "cpe.home"

    view = disable_user(world.store, ADMIN, "cpe.home")
    assert view.disabled
    with pytest.raises(NotAuthenticated):
        authenticate_password(world.store, "cpe.home", PASSWORD)
    with pytest.raises(NotAuthenticated):
        authenticate_token(world.store, world.tokens.watch_unit)
    assert refresh_actor(world.store, signed_in) is None  # an open dashboard session ends

    assert not enable_user(world.store, ADMIN, "cpe.home").disabled
    assert authenticate_password(world.store, "cpe.home", PASSWORD).role == "watch_unit"
    assert authenticate_token(world.store, world.tokens.watch_unit).username == "cpe.home"


def test_a_reset_password_is_generated_once_and_replaces_the_old_one(world: World) -> None:
    reset_password(world.store, ADMIN, "inspector", PASSWORD)
    view, generated = reset_password(world.store, ADMIN, "inspector")
    assert view.has_password and generated is not None and len(generated) >= 12
    assert verify_password(stored_user(world, "inspector").password_hash or "", generated)
    with pytest.raises(NotAuthenticated):
        authenticate_password(world.store, "inspector", PASSWORD)
    assert authenticate_password(world.store, "inspector", generated).role == "inspector"
    with pytest.raises(InvalidRequest, match="at least 12"):
        reset_password(world.store, ADMIN, "inspector", "short")
    assert reset_password(world.store, ADMIN, "inspector")[1] != generated


def test_establishments_are_offered_by_name_and_unknown_ones_refused(world: World) -> None:
    choices = known_establishments(world.store, ADMIN)
    assert [(c.uai, c.name) for c in choices] == [
        (OTHER_UAI, "Lycée Brizeux"),
        (HOME_UAI, "Collège Anne de Bretagne"),
    ]
    new = NewUser("cpe.far", "watch_unit", (HOME_UAI, "0999999Z"))
    with pytest.raises(InvalidRequest, match="unknown UAIs: 0999999Z"):
        add_user(world.store, ADMIN, new, known_only=True)
    assert "cpe.far" not in {user.username for user in list_users(world.store, ADMIN)}
    assert not entries(world, action="add_user", username=ADMIN.username)
    # The CLI may still scope a watch unit before its school's first list.
    assert add_user(world.store, ADMIN, new)[0].establishments == [HOME_UAI, "0999999Z"]


def test_an_admin_cannot_disable_their_own_account(world: World) -> None:
    admin = authenticate_token(world.store, world.tokens.admin)
    with pytest.raises(Conflict, match="own account"):
        disable_user(world.store, admin, admin.username)
    assert not stored_user(world, admin.username).disabled


def test_users_show_their_last_sign_in(world: World) -> None:
    reset_password(world.store, ADMIN, "cpe.home", PASSWORD)
    before = utc_now()
    authenticate_password(world.store, "cpe.home", PASSWORD, address="10.1.2.3")
    users = {user.username: user for user in list_users(world.store, ADMIN)}
    last = users["cpe.home"].last_sign_in_at
    assert last is not None and before <= last <= utc_now()
    assert users["inspector"].last_sign_in_at is None  # a token is not a sign-in


def test_recent_sign_in_failures_read_back_what_the_writers_log(world: World) -> None:
    store = world.store
    for _ in range(2):
        with pytest.raises(NotAuthenticated):
            authenticate_password(store, "ghost", "wrong password", address="10.0.0.7")
    with pytest.raises(NotAuthenticated):
        authenticate_password(store, "cpe.home", "wrong password", address="10.0.0.8")
    with pytest.raises(NotAuthenticated):
        actor_from_identity(store, "Nobody@Example.fr")
    forged = "vigie_0123456789abcdef_" + "x" * 43
    with pytest.raises(NotAuthenticated):
        authenticate_token(store, forged)
    # A lock, as the dashboard's throttle writes it.
    throttle = Throttle(Policy(free=1, lock_after=3, log_each=2), clock=lambda: 1e9)
    failures = [throttle.failure("username 'ghost'") for _ in range(3)]
    for note in failures[-1].notes:
        record_anonymous_denial(store, "login_flood", note)

    rows = recent_sign_in_failures(store, ADMIN, since=utc_now() - dt.timedelta(hours=1))
    found = {(r.channel, r.kind, r.login, r.source): r.count for r in rows}
    assert found == {
        ("dashboard", "failed", "ghost", "10.0.0.7"): 2,
        ("dashboard", "failed", "cpe.home", "10.0.0.8"): 1,
        ("dashboard", "failed", "nobody@example.fr", None): 1,
        ("api", "failed", "0123456789abcdef", None): 1,
        ("dashboard", "locked", "ghost", None): 3,
    }
    assert rows[0].last_at >= rows[-1].last_at
    ghost = next(r for r in rows if r.login == "ghost" and r.kind == "failed")
    assert ghost.first_at < ghost.last_at
    assert entries(world, action="read_sign_in_failures")[-1].username == ADMIN.username
    # Entries before the period are left out.
    assert recent_sign_in_failures(store, ADMIN, since=utc_now() + dt.timedelta(seconds=1)) == []


def test_flood_notes_are_counted_by_login_or_address() -> None:
    at = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    later = at + dt.timedelta(minutes=5)
    tried = "o'brien from x"  # a quote and " from " in the username tried
    further = (
        "14 further failed attempts for address 192.0.2.1 between 2026-12-01T08:00:00+00:00 "
        "and 2026-12-01T08:04:00+00:00 (not logged one by one)"
    )
    refused = (
        "40 attempts for address 192.0.2.1 refused while throttled between "
        "2026-12-01T08:04:00+00:00 and 2026-12-01T08:19:00+00:00"
    )
    rows = summarise(
        [
            (at, "authenticate", "unknown token abcdef0123456789 from 192.0.2.1"),
            (later, "authenticate", "missing token from 192.0.2.1"),
            (at, "authentication_flood", further),
            (later, "authentication_flood", refused),
            (later, "login", f"bad username or password for {tried!r} from loopback"),
            (later, "login", "something else entirely"),
            (later, "read_list", "not a sign-in"),
        ]
    )
    assert [(r.channel, r.kind, r.login, r.source, r.count) for r in rows] == [
        ("api", "throttled", None, "192.0.2.1", 40),
        ("api", "failed", None, "192.0.2.1", 15),  # one logged alone, 14 in a note
        ("dashboard", "failed", tried, "loopback", 1),
        ("dashboard", "failed", None, None, 1),  # unreadable: counted, login unknown
        ("api", "failed", "abcdef0123456789", "192.0.2.1", 1),
    ]
    assert (rows[1].first_at, rows[1].last_at) == (at, later)


def test_the_throttles_own_notes_are_read_back() -> None:
    """The aggregated notes exactly as `serving.throttle` writes them (not copies of them)."""
    clock = [1e9]
    throttle = Throttle(
        Policy(free=1, lock_after=20, log_each=2, window=60.0, first_delay=5.0),
        clock=lambda: clock[0],
    )
    key = "address 198.51.100.4"
    for _ in range(5):  # 2 logged one by one, 3 further ones only counted
        throttle.failure(key)
    refused = sum(not throttle.check(key).allowed for _ in range(4))  # while delayed
    clock[0] += 3600  # the window rolls over: the notes are due
    notes = throttle.check(key).notes
    at = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    rows = summarise([(at, "login_flood", note) for note in notes])
    assert {(r.kind, r.login, r.source, r.count) for r in rows} == {
        ("failed", None, "198.51.100.4", 3),
        ("throttled", None, "198.51.100.4", refused),
    }
    assert refused == 4
