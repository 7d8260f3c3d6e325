"""What a dashboard user may choose from: the establishments in scope and their listed weeks.

A watch unit gets its own establishments only; inspectors and data scientists the whole
académie; admins no student data. The choice offered by the dashboard is a convenience: every
later read still goes through a service that checks the scope again."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from serving.db.engine import Store
from serving.db.models import Establishment, WeeklyList
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.guard import guarded
from serving.services.policy import Action, establishments_in_scope, performs

__all__ = ["EstablishmentChoice", "visible_establishments"]


class EstablishmentChoice(BaseModel):
    """An establishment the actor may open, with its listed weeks (newest first)."""

    model_config = ConfigDict(frozen=True)

    uai: str
    name: str
    weekly_interview_capacity: int
    weeks: list[dt.date]


@performs(Action.LIST_ESTABLISHMENTS)
def visible_establishments(store: Store, actor: Actor) -> list[EstablishmentChoice]:
    """Establishments in the actor's scope that have at least one list, by name."""
    with guarded(store, actor, Action.LIST_ESTABLISHMENTS, read_only=True) as session:
        query = (
            select(
                Establishment.uai,
                Establishment.name,
                Establishment.weekly_interview_capacity,
                WeeklyList.week,
            )
            .join(WeeklyList, WeeklyList.uai == Establishment.uai)
            .order_by(Establishment.name, Establishment.uai, WeeklyList.week.desc())
        )
        scope = establishments_in_scope(actor)
        if scope is not None:
            query = query.where(Establishment.uai.in_(sorted(scope)))
        rows = session.execute(query).all()
    choices: dict[str, dict] = {}
    for uai, name, capacity, week in rows:
        entry = choices.setdefault(
            uai, {"uai": uai, "name": name, "weekly_interview_capacity": capacity, "weeks": []}
        )
        entry["weeks"].append(week)
    result = [EstablishmentChoice(**entry) for entry in choices.values()]
    record_read(store, actor, "list_establishments", detail=f"{len(result)} establishments")
    return result
