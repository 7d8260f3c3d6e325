"""Signing in: local accounts of the store (the embedded default), or OpenID Connect through
`st.login` when `.streamlit/secrets.toml` has an `[auth]` section; and staying signed in:
the user is read again from the store on every rerun (`still_signed_in`).

OIDC configuration (documented, not needed offline), in `.streamlit/secrets.toml`:

    [auth]
    redirect_uri = "https://vigie.example.fr/oauth2callback"
    cookie_secret = "a long random string"
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://idp.example.fr/.well-known/openid-configuration"

The provider proves who the person is; the store's users say what they may do: the person's
e-mail must be the username of an active Vigie user (`serving.services.dashboard_auth`).

Password sign-ins are throttled (`serving.throttle`, in memory, per dashboard process: a
restart clears it) per username tried and per client address: after a few failures each
further attempt must wait a growing delay, after `USERNAME_THROTTLE.lock_after` failures for
one username (or `ADDRESS_THROTTLE.lock_after` from one address) every attempt is refused
for a quarter of an hour, the right password too. The message says when to retry, the same
whether the username exists or not. Every sign-in, failed or not, is audited with the
username tried and the address (never the password); an attempt refused while throttled is
not checked and not logged one by one (counted in an aggregated `login_flood` entry).

The client address is `st.context.ip_address`: the WebSocket's TCP peer, or its
`X-Forwarded-For` when the peer is one of the proxies VIGIE_TRUSTED_PROXIES names (`vigie
dashboard` sets uvicorn's FORWARDED_ALLOW_IPS to it; none by default); Streamlit gives None
for a loopback peer, counted as "loopback" (all users behind a proxy on the same machine
that is not named share that one address).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from app_dashboard import runtime
from serving.services import Actor, NotAuthenticated, authenticate_password
from serving.services.audit import record, record_anonymous_denial
from serving.services.dashboard_auth import actor_from_identity
from serving.services.users import refresh_actor
from serving.throttle import Policy, Throttle

__all__ = [
    "ADDRESS_THROTTLE",
    "USERNAME_THROTTLE",
    "SignIn",
    "client_address",
    "oidc_configured",
    "reset_throttles",
    "sign_in_with_oidc",
    "sign_in_with_password",
    "sign_out",
    "signed_in_actor",
    "still_signed_in",
    "wait_text",
]

USERNAME_THROTTLE = Policy(
    free=3, first_delay=2.0, max_delay=60.0, lock_after=10, window=900.0, lock_for=900.0,
    log_each=10,
)  # fmt: skip
# Looser: a school's staff may share one address (NAT).
ADDRESS_THROTTLE = Policy(
    free=20, first_delay=1.0, max_delay=30.0, lock_after=50, window=900.0, lock_for=900.0,
    log_each=50,
)  # fmt: skip

_usernames = Throttle(USERNAME_THROTTLE)
_addresses = Throttle(ADDRESS_THROTTLE)


def reset_throttles(clock: Callable[[], float] = time.time) -> None:
    """Forget every count, and count with `clock` from now on (tests)."""
    global _usernames, _addresses
    _usernames = Throttle(USERNAME_THROTTLE, clock)
    _addresses = Throttle(ADDRESS_THROTTLE, clock)


@dataclass(frozen=True)
class SignIn:
    """A sign-in's outcome: the actor, or None and how long to wait before the next try;
    `checked`: False when the attempt was refused unchecked (throttled)."""

    actor: Actor | None
    wait: float = 0.0
    checked: bool = True


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own not-found error
        return False


def client_address() -> str:
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "loopback"


def sign_in_with_oidc() -> Actor | None:
    """The actor of a person the provider signed in, or None (not signed in, or no user)."""
    if not st.user.is_logged_in:
        return None
    try:
        actor = actor_from_identity(runtime.store(), str(st.user.get("email") or ""))
    except NotAuthenticated:
        st.error(runtime.t("bad_login"))
        return None
    st.session_state[runtime.ACTOR] = actor
    return actor


def _audit_notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        record_anonymous_denial(runtime.store(), "login_flood", note)


def sign_in_with_password(username: str, password: str) -> SignIn:
    """Check the password against the store, unless the username or the address must wait;
    remember the actor in the session."""
    store = runtime.store()
    username = username.strip().lower()
    address = client_address()
    user_key, address_key = f"username {username[:100]!r}", f"address {address}"
    checks = (_usernames.check(user_key), _addresses.check(address_key))
    _audit_notes(checks[0].notes + checks[1].notes)
    wait = max(check.wait for check in checks)
    if wait > 0:
        return SignIn(None, wait, checked=False)
    try:
        actor = authenticate_password(store, username, password, address=address)
    except NotAuthenticated:
        failures = (_usernames.failure(user_key), _addresses.failure(address_key))
        _audit_notes(failures[0].notes + failures[1].notes)
        return SignIn(None, max(failure.wait for failure in failures))
    _audit_notes(_usernames.success(user_key))
    st.session_state[runtime.ACTOR] = actor
    return SignIn(actor)


def wait_text(seconds: float) -> str:
    """A delay as people read it: "8 s", "15 min"."""
    if seconds < 60:
        return f"{max(1, math.ceil(seconds))} s"
    return f"{math.ceil(seconds / 60)} min"


def sign_out() -> None:
    """Forget the session's actor and pages (the language stays)."""
    for key in list(st.session_state.keys()):
        if key != runtime.LANGUAGE_TOGGLE:
            del st.session_state[key]
    st.query_params.clear()


def signed_in_actor() -> Actor:
    """The actor of a page: the pages are offered only once signed in (`streamlit_app`), so
    a page run without one (opened some other way) stops before asking for any data."""
    actor = runtime.actor()
    if actor is None:
        st.stop()
    return actor


def still_signed_in(actor: Actor) -> Actor | None:
    """The session's actor if the store still says the same of the user (one statement on
    every rerun); otherwise (disabled, removed, role or scopes changed) sign out at once,
    audited, and None."""
    store = runtime.store()
    current = refresh_actor(store, actor)
    if current == actor:
        return actor
    reason = "user disabled or removed" if current is None else "role or scopes changed"
    with store.transaction() as session:
        record(session, actor, "session_ended", "denied", detail=reason)
    sign_out()
    st.session_state[runtime.SESSION_ENDED] = True
    return None
