"""Recent sign-in failures, for the admin: what the audit log holds of failed dashboard
sign-ins (password, OpenID Connect) and failed API authentications, grouped by login tried
and source address.

The throttles (`serving.throttle`) keep their counts in memory, per process; what lasts is
what they had written to the audit log, and this is read from there:

- one entry per failure, up to the throttle's `log_each` per key and window (`login`,
  `login_oidc`, `authenticate`, outcome denied), its detail naming the login tried (a token's
  public id for the API) and the address;
- aggregated notes (`login_flood`, `authentication_flood`): a lock ("N failed attempts for
  <key> since ..."), the failures past `log_each` ("N further failed attempts for <key> ..."),
  the attempts refused unchecked while throttled ("N attempts for <key> refused while
  throttled ..."); a key is a username or an address.

Reading the details back is a pure function (`summarise`), tested on the texts the writers
produce.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from serving.db.engine import Store
from serving.db.models import AuditEntry
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.guard import guarded
from serving.services.policy import Action, performs

__all__ = ["SignInFailureView", "recent_sign_in_failures", "summarise"]

Channel = Literal["dashboard", "api"]
Kind = Literal["failed", "locked", "throttled"]

_CHANNELS: dict[str, Channel] = {
    "login": "dashboard",
    "login_oidc": "dashboard",
    "login_flood": "dashboard",
    "authenticate": "api",
    "authentication_flood": "api",
}
_FLOODS = ("login_flood", "authentication_flood")

_FAILED_PASSWORD = re.compile(
    r"^bad username or password for (?P<login>.+?)(?: from (?P<source>\S+))?$"
)
_FAILED_OIDC = re.compile(r"^no active user for (?P<login>'.*'|\".*\")$")
_FAILED_TOKEN = re.compile(
    r"^(?:missing token|malformed token|(?:unknown|expired|disabled user's) token "
    r"(?P<login>\S+))(?: from (?P<source>\S+))?$"
)
_FLOOD_NOTES: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("failed", re.compile(r"^(?P<count>\d+) further failed attempts for (?P<key>.+?) between ")),
    ("throttled", re.compile(r"^(?P<count>\d+) attempts for (?P<key>.+?) refused while ")),
    ("locked", re.compile(r"^(?P<count>\d+) failed attempts for (?P<key>.+?) since ")),
)


class SignInFailureView(BaseModel):
    """Failures of one kind for one login tried and one source, over the period read."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    kind: Kind  # failed; locked (a lock began); throttled (refused unchecked while throttled)
    login: str | None  # the username tried, or the API token's public id; None if unknown
    source: str | None  # the client's address; None if unknown
    count: int
    first_at: dt.datetime
    last_at: dt.datetime


@performs(Action.READ_SIGN_IN_FAILURES)
def recent_sign_in_failures(
    store: Store, actor: Actor, *, since: dt.datetime, limit: int = 5000
) -> list[SignInFailureView]:
    """The sign-in failures logged since `since` (the `limit` most recent entries), grouped,
    the most recent first (admins only; the read is audited)."""
    with guarded(store, actor, Action.READ_SIGN_IN_FAILURES, read_only=True) as session:
        rows = session.execute(
            select(AuditEntry.at, AuditEntry.action, AuditEntry.detail)
            .where(
                AuditEntry.outcome == "denied",
                AuditEntry.action.in_(tuple(_CHANNELS)),
                AuditEntry.at >= since,
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        ).all()
    record_read(store, actor, "read_sign_in_failures", detail=f"since {since:%Y-%m-%d %H:%M}")
    return summarise((at, action, detail) for at, action, detail in rows)


def summarise(entries: Iterable[tuple[dt.datetime, str, str | None]]) -> list[SignInFailureView]:
    """Audit entries (time, action, detail) of sign-in failures, grouped by channel, kind,
    login and source, the group seen last first."""
    groups: dict[tuple[Channel, Kind, str | None, str | None], _Group] = {}
    for at, action, detail in entries:
        channel = _CHANNELS.get(action)
        if channel is None:
            continue
        kind, login, source, count = _read(action, detail or "")
        group = groups.get((channel, kind, login, source))
        if group is None:
            groups[(channel, kind, login, source)] = _Group(count, at, at)
        else:
            group.count += count
            group.first, group.last = min(group.first, at), max(group.last, at)
    views = [
        SignInFailureView(
            channel=channel,
            kind=kind,
            login=login,
            source=source,
            count=group.count,
            first_at=group.first,
            last_at=group.last,
        )
        for (channel, kind, login, source), group in groups.items()
    ]
    return sorted(views, key=lambda view: (view.last_at, view.count), reverse=True)


@dataclass
class _Group:
    count: int
    first: dt.datetime
    last: dt.datetime


def _read(action: str, detail: str) -> tuple[Kind, str | None, str | None, int]:
    """(kind, login, source, count) of one entry; an unreadable detail counts as one
    failure of an unknown login and source."""
    if action in _FLOODS:
        for kind, pattern in _FLOOD_NOTES:
            match = pattern.match(detail)
            if match:
                login, source = _key(match["key"])
                return kind, login, source, int(match["count"])
        return "failed", None, None, 1
    for pattern in (_FAILED_PASSWORD, _FAILED_OIDC, _FAILED_TOKEN):
        match = pattern.match(detail)
        if match:
            login = match["login"]
            source = match.groupdict().get("source")
            return "failed", _unquoted(login) if login else None, source, 1
    return "failed", None, None, 1


def _key(key: str) -> tuple[str | None, str | None]:
    """A throttle's key ("username 'x'", "address 10.0.0.1") as (login, source)."""
    kind, _, value = key.partition(" ")
    if kind == "username":
        return _unquoted(value), None
    if kind == "address":
        return None, value
    return None, None


def _unquoted(text: str) -> str:
    """A username written with `repr` ('x'), read back; other text as is."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        return value if isinstance(value, str) else text
    return text
