"""Users, their roles and establishment scopes, and how they prove who they are.

Only admins manage users (the local operator running `vigie users` acts as an admin; in the
dashboard, a signed-in admin): the rule is checked here, so the CLI and the dashboard call the
same function for each action and any other role is refused (and the refusal audited). A new
API token, or a generated password, is returned once, in plaintext, and only its hash is
kept (SHA-256 for the token, argon2 for the password). Every change is audited with the
admin as actor, without the secret.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from serving.db.engine import Store
from serving.db.models import AuditEntry, Establishment, User, UserScope
from serving.db.types import utc_now
from serving.db.vocabulary import ROLES, Role
from serving.security import hash_password, issue_token, parse_token, token_matches, verify_password
from serving.services.actor import Actor
from serving.services.audit import record, record_anonymous_denial
from serving.services.errors import Conflict, InvalidRequest, NotAuthenticated, NotFound
from serving.services.guard import guarded
from serving.services.inputs import UAI_PATTERN
from serving.services.policy import SCOPED_ROLES, Action, performs
from serving.services.views import UserView

__all__ = [
    "EstablishmentChoice",
    "NewUser",
    "active_actor",
    "add_user",
    "authenticate_password",
    "authenticate_token",
    "disable_user",
    "enable_user",
    "generate_password",
    "known_establishments",
    "list_users",
    "refresh_actor",
    "renew_token",
    "reset_password",
]

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
MIN_PASSWORD_LENGTH = 12
SIGN_IN_ACTIONS = ("login", "login_oidc")  # audit actions of a successful sign-in


@dataclass(frozen=True)
class NewUser:
    """A user as the admin describes it; `establishments` only for a watch unit (its
    establishments) or an mlds user (the establishments of its bassin)."""

    username: str
    role: Role
    establishments: tuple[str, ...] = ()
    password: str | None = None
    token_days: int = 90


def _check(new: NewUser) -> None:
    problems = []
    if not USERNAME_PATTERN.match(new.username):
        problems.append("username: 2-100 characters, lowercase letters, digits, . _ @ -")
    if new.role not in ROLES:
        problems.append(f"role: one of {', '.join(ROLES)}")
    bad = [uai for uai in new.establishments if not re.match(UAI_PATTERN, uai)]
    if bad:
        problems.append(f"establishments: not UAIs (7 digits and a letter): {', '.join(bad)}")
    if new.role == "watch_unit" and not new.establishments:
        problems.append("establishments: a watch unit needs at least one establishment")
    if new.role == "mlds" and not new.establishments:
        problems.append("establishments: an mlds user needs the establishments of its bassin")
    if new.role not in SCOPED_ROLES and new.establishments:
        problems.append(f"establishments: a {new.role} sees the whole académie, give none")
    if new.password is not None and len(new.password) < MIN_PASSWORD_LENGTH:
        problems.append(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if not 1 <= new.token_days <= 730:
        problems.append("token_days: between 1 and 730")
    if problems:
        raise InvalidRequest("; ".join(problems))


@dataclass(frozen=True)
class EstablishmentChoice:
    """An establishment the store knows, as the admin picks it for a watch unit."""

    uai: str
    name: str


@performs(Action.LIST_KNOWN_ESTABLISHMENTS)
def known_establishments(store: Store, actor: Actor) -> list[EstablishmentChoice]:
    """The establishments the store knows (those of the weekly lists), by UAI (admins)."""
    with guarded(store, actor, Action.LIST_KNOWN_ESTABLISHMENTS, read_only=True) as session:
        rows = session.execute(
            select(Establishment.uai, Establishment.name).order_by(Establishment.uai)
        ).all()
        return [EstablishmentChoice(uai, name) for uai, name in rows]


@performs(Action.ADD_USER)
def add_user(
    store: Store, actor: Actor, new: NewUser, *, known_only: bool = False
) -> tuple[UserView, str]:
    """Create a user; returns its view and its API token (plaintext, shown once).

    `known_only`: refuse establishments the store does not know yet (the dashboard, which
    offers only those); the CLI may scope a watch unit before its school's first list."""
    _check(new)
    token = issue_token()
    with guarded(store, actor, Action.ADD_USER) as session:
        if session.scalar(select(User.id).where(User.username == new.username)) is not None:
            raise Conflict(f"user {new.username} already exists")
        if known_only and new.establishments:
            known = set(
                session.scalars(
                    select(Establishment.uai).where(Establishment.uai.in_(new.establishments))
                )
            )
            unknown = sorted(set(new.establishments) - known)
            if unknown:
                raise InvalidRequest(f"establishments: unknown UAIs: {', '.join(unknown)}")
        user = User(
            username=new.username,
            role=new.role,
            password_hash=hash_password(new.password) if new.password else None,
            token_id=token.token_id,
            token_hash=token.secret_hash,
            token_expires_at=utc_now() + dt.timedelta(days=new.token_days),
            disabled=False,
            scopes=[UserScope(uai=uai) for uai in sorted(set(new.establishments))],
        )
        session.add(user)
        session.flush()
        record(session, actor, "add_user", "allowed", detail=f"{new.username} as {new.role}")
        return user_view(user), token.plaintext


@performs(Action.LIST_USERS)
def list_users(store: Store, actor: Actor) -> list[UserView]:
    """Every user, by username, with their last successful sign-in (from the audit log)."""
    with guarded(store, actor, Action.LIST_USERS, read_only=True) as session:
        rows = session.execute(
            select(User, _LAST_SIGN_IN.label("last_sign_in_at"))
            .options(selectinload(User.scopes))
            .order_by(User.username)
        ).all()
        return [user_view(user, last_sign_in_at=last) for user, last in rows]


# A user's last successful sign-in, read per user from the audit log's index on (action,
# outcome, username, at) (migration 0006): only that user's sign-ins are read, not the whole
# log scanned, nor every user's sign-ins sorted and grouped.
_LAST_SIGN_IN = (
    select(func.max(AuditEntry.at))
    .where(
        AuditEntry.action.in_(SIGN_IN_ACTIONS),
        AuditEntry.outcome == "allowed",
        AuditEntry.username == User.username,
    )
    .correlate(User)
    .scalar_subquery()
)


@performs(Action.DISABLE_USER)
def disable_user(store: Store, actor: Actor, username: str) -> UserView:
    """Disable a user: the token and the password stop working at once (an admin cannot
    disable their own account, so that one admin is always left to undo it)."""
    return _set_disabled(store, actor, username, disabled=True)


@performs(Action.ENABLE_USER)
def enable_user(store: Store, actor: Actor, username: str) -> UserView:
    """Re-enable a disabled user: their password and (unexpired) token work again."""
    return _set_disabled(store, actor, username, disabled=False)


def _set_disabled(store: Store, actor: Actor, username: str, *, disabled: bool) -> UserView:
    action = "disable_user" if disabled else "enable_user"
    with guarded(store, actor, Action(action)) as session:
        user = _user(session, username)
        if disabled and user.username == actor.username:
            raise Conflict("an admin cannot disable their own account")
        user.disabled = disabled
        record(session, actor, action, "allowed", detail=username)
        return user_view(user)


def generate_password() -> str:
    """A random password to hand over once (about 130 bits, URL-safe characters)."""
    return secrets.token_urlsafe(16)


@performs(Action.RESET_PASSWORD)
def reset_password(
    store: Store, actor: Actor, username: str, password: str | None = None
) -> tuple[UserView, str | None]:
    """Replace a user's dashboard password (the old one stops working): `password` when
    given (typed at the CLI's hidden prompt), else a generated one, returned once (None is
    returned for a given password: the caller already holds it)."""
    generated = None
    if password is None:
        password = generated = generate_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    with guarded(store, actor, Action.RESET_PASSWORD) as session:
        user = _user(session, username)
        user.password_hash = hash_password(password)
        how = "generated" if generated else "given"
        record(session, actor, "reset_password", "allowed", detail=f"{username} ({how})")
        return user_view(user), generated


@performs(Action.RENEW_TOKEN)
def renew_token(
    store: Store, actor: Actor, username: str, token_days: int = 90
) -> tuple[UserView, str]:
    """Replace a user's API token (the old one stops working); returns the new plaintext."""
    if not 1 <= token_days <= 730:
        raise InvalidRequest("token_days: between 1 and 730")
    token = issue_token()
    with guarded(store, actor, Action.RENEW_TOKEN) as session:
        user = _user(session, username)
        user.token_id, user.token_hash = token.token_id, token.secret_hash
        user.token_expires_at = utc_now() + dt.timedelta(days=token_days)
        record(session, actor, "renew_token", "allowed", detail=username)
        return user_view(user), token.plaintext


def authenticate_token(
    store: Store,
    plaintext: str | None,
    now: dt.datetime | None = None,
    *,
    on_denial: Callable[[str], None] | None = None,
) -> Actor:
    """The actor behind an API token; a missing, malformed, unknown, expired or disabled
    token raises `NotAuthenticated` and is audited (with the token's public id at most), or,
    when `on_denial` is given, handed to it to audit (the API throttles floods so)."""
    now = now or utc_now()
    parsed = parse_token(plaintext) if plaintext else None
    problem = "missing token" if not plaintext else "malformed token"
    actor = None
    if parsed is not None:
        token_id, secret = parsed
        # One plain select on a Core connection (no ORM session): this runs on every request.
        with store.read_connection() as connection:
            user = connection.execute(_TOKEN_QUERY, {"token_id": token_id}).one_or_none()
            if (
                user is None
                or user.token_hash is None
                or not token_matches(secret, user.token_hash)
            ):
                problem = f"unknown token {token_id}"
            elif user.token_expires_at is None or user.token_expires_at <= now:
                problem = f"expired token {token_id}"
            elif user.disabled:
                problem = f"disabled user's token {token_id}"
            else:
                actor = Actor(
                    username=user.username,
                    role=user.role,
                    establishments=_scope_set(user.scopes),
                )
    if actor is None:
        if on_denial is None:
            record_anonymous_denial(store, "authenticate", problem)
        else:
            on_denial(problem)
        raise NotAuthenticated("a valid bearer token is required")
    return actor


# The user behind a token id and its scopes, read fresh on every request (a token disabled,
# renewed or expired, a scope changed, all count at once), in one statement: the scopes come
# aggregated into one string (UAIs hold no comma), not as one Python row each (an inspector-
# like watch unit over 600 establishments would otherwise cost 600 rows per request).
_SCOPES = (
    select(func.aggregate_strings(UserScope.uai, ","))
    .where(UserScope.user_id == User.id)
    .correlate(User)
    .scalar_subquery()
)
_TOKEN_QUERY = select(
    User.username,
    User.role,
    User.token_hash,
    User.token_expires_at,
    User.disabled,
    _SCOPES.label("scopes"),
).where(User.token_id == bindparam("token_id"))


@lru_cache(maxsize=1024)
def _scope_set(scopes: str | None) -> frozenset[str]:
    """The UAIs of an aggregated scope string (a pure function of the string just read:
    memoised, the scopes themselves are still read on every request)."""
    return frozenset(scopes.split(",")) if scopes else frozenset()


def authenticate_password(
    store: Store, username: str, password: str, *, address: str | None = None
) -> Actor:
    """The actor behind a username and password (the dashboard's login). Every sign-in is
    audited with the username tried (never the password) and the client's `address`."""
    with store.reading() as session:
        user = _active_user(session, User.username == username)
        stored = user.password_hash if user is not None else None
        # Verify against a dummy hash when there is none, so timing does not tell whether
        # the username exists.
        matches = verify_password(stored or _dummy_hash(), password)
        ok = user is not None and not user.disabled and stored is not None and matches
        actor = _actor(user) if ok and user is not None else None
    where = f" from {address}" if address else ""
    if actor is None:
        tried = username[:100]
        record_anonymous_denial(store, "login", f"bad username or password for {tried!r}{where}")
        raise NotAuthenticated("bad username or password")
    with store.transaction() as session:
        record(session, actor, "login", "allowed", detail=f"password{where}")
    return actor


def refresh_actor(store: Store, actor: Actor) -> Actor | None:
    """The signed-in `actor` as the store says it is now (one statement): None when the user
    is gone or disabled; an actor of another role or scope when those changed."""
    return active_actor(store, actor.username)


def active_actor(store: Store, username: str) -> Actor | None:
    """The store user `username` as an actor, its role and scope as they are now (one
    statement); None when the user is unknown or disabled."""
    with store.read_connection() as connection:
        user = connection.execute(_USER_QUERY, {"username": username}).one_or_none()
    if user is None or user.disabled:
        return None
    return Actor(username=username, role=user.role, establishments=_scope_set(user.scopes))


_USER_QUERY = select(User.role, User.disabled, _SCOPES.label("scopes")).where(
    User.username == bindparam("username")
)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _active_user(session: Session, condition: ColumnElement[bool]) -> User | None:
    return session.scalar(select(User).where(condition).options(selectinload(User.scopes)))


def _user(session: Session, username: str) -> User:
    user = session.scalar(
        select(User).where(User.username == username).options(selectinload(User.scopes))
    )
    if user is None:
        raise NotFound(f"no user {username}")
    return user


def _actor(user: User) -> Actor:
    return Actor(
        username=user.username,
        role=user.role,  # type: ignore[arg-type]  # checked by the table
        establishments=frozenset(scope.uai for scope in user.scopes),
    )


def user_view(user: User, *, last_sign_in_at: dt.datetime | None = None) -> UserView:
    return UserView(
        username=user.username,
        role=user.role,  # type: ignore[arg-type]  # checked by the table
        establishments=_uais(user.scopes),
        disabled=user.disabled,
        has_password=user.password_hash is not None,
        token_id=user.token_id,
        token_expires_at=user.token_expires_at,
        created_at=user.created_at,
        last_sign_in_at=last_sign_in_at,
    )


def _uais(scopes: Iterable[UserScope]) -> list[str]:
    return sorted(scope.uai for scope in scopes)
