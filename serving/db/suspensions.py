"""The stop switch's reads: which suspension, if any, keeps an establishment's lists from
being served (`serving.services.suspensions` writes them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, bindparam, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from serving.db.models import Establishment, Suspension

__all__ = [
    "ActiveSuspension",
    "active_suspension",
    "revision_and_suspension",
    "suspended_establishments",
]


@dataclass(frozen=True)
class ActiveSuspension:
    """A suspension in force: `uai` None when it covers every establishment."""

    uai: str | None
    reason: str
    suspended_by: str
    suspended_at: dt.datetime


_COLUMNS = (Suspension.uai, Suspension.reason, Suspension.suspended_by, Suspension.suspended_at)
_OLDEST = (Suspension.suspended_at, Suspension.id)


def _covers(uai: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """The suspensions in force covering `uai`: its own and those of every establishment."""
    return and_(
        Suspension.resumed_at.is_(None), or_(Suspension.uai.is_(None), Suspension.uai == uai)
    )


_ACTIVE = select(*_COLUMNS).where(_covers(bindparam("uai"))).order_by(*_OLDEST).limit(1)
# The cached list's read: the revision and the suspension in one query (the oldest
# suspension in force first; one row of NULL suspension columns when none).
_REVISION_AND_ACTIVE = (
    select(Establishment.list_revision, Suspension.id, *_COLUMNS)
    .select_from(Establishment)
    .outerjoin(Suspension, _covers(Establishment.uai))
    .where(Establishment.uai == bindparam("uai"))
    .order_by(*_OLDEST)
    .limit(1)
)


def active_suspension(connection: Connection | Session, uai: str) -> ActiveSuspension | None:
    """The oldest active suspension covering `uai` (its own, or one of every establishment),
    None when its lists may be served."""
    row = connection.execute(_ACTIVE, {"uai": uai}).one_or_none()
    return None if row is None else ActiveSuspension(*row)


def revision_and_suspension(
    connection: Connection, uai: str
) -> tuple[int | None, ActiveSuspension | None]:
    """`serving.db.revisions.list_revision` and `active_suspension` in one query (the read of
    every cached list): (None, None) for an unknown establishment."""
    row = connection.execute(_REVISION_AND_ACTIVE, {"uai": uai}).one_or_none()
    if row is None:
        return None, None
    if row.id is None:
        return row.list_revision, None
    return row.list_revision, ActiveSuspension(
        row.uai, row.reason, row.suspended_by, row.suspended_at
    )


def suspended_establishments(connection: Connection | Session) -> frozenset[str] | None:
    """The establishments with an active suspension of their own; None when every
    establishment is suspended."""
    uais = list(
        connection.execute(select(Suspension.uai).where(Suspension.resumed_at.is_(None))).scalars()
    )
    if any(uai is None for uai in uais):
        return None
    return frozenset(uai for uai in uais if uai is not None)
