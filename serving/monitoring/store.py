"""The monitoring's store I/O: the weeks' invitations and capacities, and the payloads kept
with each week (`serving.db.models.WeekMonitoring`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from serving.db.models import ListEntry, WeeklyList, WeeklyRun, WeekMonitoring
from serving.db.types import utc_now

__all__ = [
    "KINDS",
    "MonitoredWeek",
    "read_monitoring",
    "week_before",
    "week_capacities",
    "week_invitations",
    "weeks_up_to",
    "write_monitoring",
]

KINDS: tuple[str, ...] = ("drift", "lists", "outcomes")


@dataclass(frozen=True)
class MonitoredWeek:
    """A week's monitoring, as computed or as read back: the payloads by kind (`KINDS`)."""

    week: dt.date
    payloads: dict[str, dict[str, Any]]

    @property
    def alerts(self) -> list[dict[str, Any]]:
        """Every payload's alerts."""
        return [alert for payload in self.payloads.values()
                for alert in payload.get("alerts", [])]  # fmt: skip

    def unavailable(self) -> dict[str, str]:
        """The kinds that could not be computed, with the reason."""
        return {kind: payload["unavailable"] for kind, payload in self.payloads.items()
                if "unavailable" in payload}  # fmt: skip


def weeks_up_to(session: Session, week: dt.date) -> list[WeeklyRun]:
    """The written weeks on or before `week`, oldest first."""
    query = select(WeeklyRun).where(WeeklyRun.week <= week).order_by(WeeklyRun.week)
    return list(session.scalars(query))


def week_before(session: Session, week: dt.date) -> dt.date | None:
    """The latest written week before `week`."""
    return session.scalar(
        select(WeeklyRun.week).where(WeeklyRun.week < week).order_by(WeeklyRun.week.desc())
    )


def week_capacities(session: Session, week: dt.date) -> dict[str, int]:
    """Each establishment's slots on its list of `week`."""
    rows = session.execute(
        select(WeeklyList.uai, WeeklyList.weekly_interview_capacity).where(WeeklyList.week == week)
    )
    return {str(uai): int(capacity) for uai, capacity in rows}


def week_invitations(session: Session, weeks: list[dt.date]) -> pd.DataFrame:
    """The invited students of `weeks` (tier `invite`): week, as_of, uai, student_id, risk,
    rank, capacity."""
    rows = session.execute(
        select(WeeklyList.week, WeeklyList.as_of, WeeklyList.uai, ListEntry.student_id,
               ListEntry.risk, ListEntry.rank, WeeklyList.weekly_interview_capacity)
        .join(ListEntry, ListEntry.list_id == WeeklyList.id)
        .where(WeeklyList.week.in_(weeks), ListEntry.tier == "invite")
        .order_by(WeeklyList.week, WeeklyList.uai, ListEntry.rank)
    ).all()  # fmt: skip
    columns = ["week", "as_of", "uai", "student_id", "risk", "rank", "capacity"]
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def write_monitoring(session: Session, week: dt.date, payloads: dict[str, dict[str, Any]]) -> None:
    """Replace the week's payloads of the kinds given (others kept)."""
    unknown = sorted(set(payloads) - set(KINDS))
    if unknown:
        raise ValueError(f"week_monitoring: unknown kind(s) {unknown}; expected {list(KINDS)}")
    session.execute(
        delete(WeekMonitoring).where(
            WeekMonitoring.week == week, WeekMonitoring.kind.in_(list(payloads))
        )
    )
    now = utc_now()
    session.add_all(
        WeekMonitoring(week=week, kind=kind, payload=payload, computed_at=now)
        for kind, payload in payloads.items()
    )


def read_monitoring(session: Session, week: dt.date) -> dict[str, dict[str, Any]]:
    """The week's payloads by kind (empty when the week was never monitored)."""
    rows = session.scalars(select(WeekMonitoring).where(WeekMonitoring.week == week))
    return {row.kind: row.payload for row in rows}
