"""The stop switch's reads: which suspension, if any, keeps an establishment's lists from
being served (`serving.services.suspensions` writes them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, or_, select
from sqlalchemy.orm import Session

from serving.db.models import Suspension

__all__ = ["ActiveSuspension", "active_suspension", "suspended_establishments"]


@dataclass(frozen=True)
class ActiveSuspension:
    """A suspension in force: `uai` None when it covers every establishment."""

    uai: str | None
    reason: str
    suspended_by: str
    suspended_at: dt.datetime


def active_suspension(connection: Connection | Session, uai: str) -> ActiveSuspension | None:
    """The oldest active suspension covering `uai` (its own, or one of every establishment),
    None when its lists may be served."""
    row = connection.execute(
        select(Suspension.uai, Suspension.reason, Suspension.suspended_by, Suspension.suspended_at)
        .where(
            Suspension.resumed_at.is_(None),
            or_(Suspension.uai.is_(None), Suspension.uai == uai),
        )
        .order_by(Suspension.suspended_at, Suspension.id)
        .limit(1)
    ).one_or_none()
    return None if row is None else ActiveSuspension(*row)


def suspended_establishments(connection: Connection | Session) -> frozenset[str] | None:
    """The establishments with an active suspension of their own; None when every
    establishment is suspended."""
    uais = list(
        connection.execute(select(Suspension.uai).where(Suspension.resumed_at.is_(None))).scalars()
    )
    if any(uai is None for uai in uais):
        return None
    return frozenset(uai for uai in uais if uai is not None)
