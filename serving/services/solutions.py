"""Suggested solutions, never decided: the solutions a student is eligible for on a date,
each with the rule that makes it so and the facts that meet it (`models.solutions`), and how
often the recorded choices followed the suggestions.

A student's suggestions follow the student's record (`get_student_record`): who may read
them is decided by the establishment the student is enrolled in on the day of the request,
whatever `as_of` asks (a former school is refused even about a date the student was its
own); the facts carry no name. The facts are read from the extraction of the latest week
written, through the week's lineage (`serving.lineage`: refused when it is gone or changed;
on a week scored by académie, the partition of the student's establishment).
Every read and every refusal is audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models.solutions.engine import suggest
from serving.db import enrollments
from serving.db.engine import Store
from serving.db.models import Interview
from serving.lineage import recorded_week
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.errors import InvalidRequest
from serving.services.guard import guarded, student_in_scope
from serving.services.policy import Action, performs
from serving.solutions.extraction_facts import read_facts
from serving.solutions.followed import suggestion_followed
from serving.solutions.recorded import interview_held_on
from serving.solutions.table import rules_in_use
from serving.solutions.views import SolutionsView, SuggestionFollowedView, solutions_view

__all__ = ["get_student_solutions", "get_suggestion_followed"]


@performs(Action.READ_SOLUTIONS)
def get_student_solutions(
    store: Store, actor: Actor, student_id: str, as_of: dt.date | None = None
) -> SolutionsView:
    """The solutions `student_id` is eligible for on `as_of` (default: today), from the
    rules in use. `WeekDataUnavailable` when the latest week's extraction is gone."""
    today = enrollments.request_date()
    day = today if as_of is None else as_of
    if day > today:
        raise InvalidRequest(f"as_of: {day.isoformat()} is after today ({today.isoformat()})")
    with guarded(
        store, actor, Action.READ_SOLUTIONS, student_id=student_id, read_only=True
    ) as session:
        uai = student_in_scope(session, actor, Action.READ_SOLUTIONS, student_id).uai
        held = interview_held_on(session, student_id, day)
        lineage = recorded_week(session, None)
    table = rules_in_use()
    facts = read_facts(lineage.extraction_of(uai), student_id, day, interview_held=held)
    view = solutions_view(facts, table, suggest(facts, table))
    record_read(store, actor, "read_solutions", student_id=student_id, uai=uai,
                detail=f"as of {day.isoformat()}: "
                + (", ".join(each.solution for each in view.suggestions) or "none"))  # fmt: skip
    return view


@performs(Action.READ_SUGGESTION_FOLLOWED)
def get_suggestion_followed(store: Store, actor: Actor) -> SuggestionFollowedView:
    """Over every held interview with a recorded solution: how often the choice was among
    the solutions suggested when it was recorded (aggregates only, no student)."""
    with guarded(store, actor, Action.READ_SUGGESTION_FOLLOWED, read_only=True) as session:
        rows = session.execute(
            select(Interview.solution, Interview.suggested_solutions).where(
                Interview.status == "held", Interview.solution.is_not(None)
            )
        ).all()
    view = suggestion_followed((str(solution), suggested) for solution, suggested in rows)
    record_read(store, actor, "read_suggestion_followed",
                detail=f"{view.solutions_recorded} solutions recorded")  # fmt: skip
    return view
