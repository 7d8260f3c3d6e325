"""One week's lists: each establishment's weekly queue (`models.queue`: to invite, to watch,
in follow-up; pure), the watch unit's decisions as the store holds them
(`serving.weekly.decisions`), and writing all establishments' lists to the store in one
transaction (idempotent, all or nothing)."""

from serving.weekly.ranking import (
    EstablishmentWeek,
    Explainer,
    Reason,
    RosterStudent,
    ScoredStudent,
    rank_students,
)
from serving.weekly.roster_digest import ROSTER_SCHEMA
from serving.weekly.store import (
    RankedQueues,
    WeekWriteResult,
    enrollment_facts,
    replace_week_lists,
)

__all__ = [
    "ROSTER_SCHEMA",
    "EstablishmentWeek",
    "Explainer",
    "RankedQueues",
    "Reason",
    "RosterStudent",
    "ScoredStudent",
    "WeekWriteResult",
    "enrollment_facts",
    "rank_students",
    "replace_week_lists",
]
