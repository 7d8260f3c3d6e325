"""The suggestion recorded beside a choice: when a held interview's solution is recorded,
the solutions the rules in use suggested for the student on the interview's day (the
interview being held), from the latest week's extraction, and the table's SHA-256.

`interview_held_on` is the store's fact of an entretien de situation held by a date (by any
establishment: it is a fact about the student, not a note)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.solutions.engine import suggest, suggested_solutions

# Modules, not names: `serving.lineage` and `serving.solutions.extraction_facts` import the
# services' errors, whose package imports the interviews service, which imports this module.
from serving import lineage
from serving.db.models import Interview
from serving.services.errors import Conflict, NotFound
from serving.solutions import extraction_facts, table

__all__ = [
    "RecordedSuggestion",
    "held_by",
    "interview_held_on",
    "latest_week",
    "suggestion_for_choice",
]

RecordedSuggestion = tuple[list[str] | None, str | None]
"""(solutions suggested, SHA-256 of the table); (None, None) when none could be made."""


def interview_held_on(session: Session, student_id: str, day: dt.date) -> bool:
    """An interview of the student was held on or before `day` (one without a date counts
    from the day it was written, UTC)."""
    return student_id in held_by(session, [student_id], day)


def held_by(session: Session, student_ids: Collection[str], day: dt.date) -> set[str]:
    """Those of `student_ids` with an interview held on or before `day` (as
    `interview_held_on`), in one query."""
    if not student_ids:
        return set()
    next_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    held = session.scalars(
        select(Interview.student_id)
        .distinct()
        .where(
            Interview.student_id.in_(list(student_ids)),
            Interview.status == "held",
            or_(
                Interview.interview_date <= day,
                and_(Interview.interview_date.is_(None), Interview.created_at < next_day),
            ),
        )
    )
    return set(held)


def latest_week(session: Session) -> lineage.WeekLineage | None:
    """The latest week's lineage, None when no week was written or it has none (purged,
    written before lineage)."""
    try:
        return lineage.recorded_week(session, None)
    except (NotFound, Conflict):
        return None


def suggestion_for_choice(
    week: lineage.WeekLineage | None, student_id: str, uai: str, day: dt.date
) -> RecordedSuggestion:
    """What the rules suggested on `day` for the student whose interview is held, from the
    extraction of `week` (the folder of `uai`, the establishment writing the interview: on a
    week scored by académie, its partition); (None, None) without a week, when its extraction
    is gone or altered, or the student (or the establishment) is not in it: the choice is
    recorded anyway, without a suggestion to compare with. Reads files only: the services
    call it outside their write transaction (reading a large extraction takes a fraction of
    a second)."""
    if week is None:
        return None, None
    try:
        directory = week.extraction_of(uai)
        rules = table.rules_in_use()
        facts = extraction_facts.read_facts(directory, student_id, day, interview_held=True)
    except (NotFound, Conflict):
        return None, None
    return list(suggested_solutions(suggest(facts, rules))), rules.sha256
