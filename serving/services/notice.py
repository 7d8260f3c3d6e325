"""What a notice to a student and their family says (`vigie notice`, the student page's
button): the week's list entry as the week recorded it, for the watch unit that decided.

An algorithm suggested; a person (the watch unit) decided. The notice holds the student's
names (it is addressed to them), the part of the list they were on, the reasons and their
weight as the list entry recorded them (worded in French and English by
`models.reason_wording` when the week was scored), the context apart, the model version and
the dates the week records (`serving.lineage`, whose recorded contributions for the student
must still be there, unaltered), and the families of data the model reads (never a
sensitive attribute: they are not inputs). Only the watch unit of the establishment the
student is enrolled in on the day, which listed them that week, may issue it, and not while
the stop switch suspends that list (`serving.services.suspensions`); every notice
issued is audited (`issue_notice`, the student's id and the week; never a name), every
refusal too. The HTML is made by `serving.documents.notice_html`, from this content only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from features.catalog import FEATURE_CATALOG
from serving.db.engine import Store
from serving.db.models import Establishment
from serving.lineage import recorded_week
from serving.list_payload import split_context
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.dashboard_history import listing_entry
from serving.services.errors import NotFound
from serving.services.guard import guarded, student_in_scope
from serving.services.policy import Action, performs
from serving.services.suspensions import refuse_if_suspended
from serving.services.views import ContextView, ReasonView

__all__ = ["Notice", "issue_notice", "model_families"]


@dataclass(frozen=True)
class Notice:
    """The content of one notice: who, which week and list part, why (the reasons and the
    context as recorded), with which model, and when it was issued."""

    student_id: str
    last_name: str | None
    first_name: str | None
    uai: str
    establishment_name: str
    week: dt.date
    as_of: dt.date
    issued_on: dt.date
    model_version: str
    tier: str
    reasons: tuple[ReasonView, ...]
    context: ContextView | None
    families: tuple[str, ...]


def model_families() -> tuple[str, ...]:
    """The families of the model's inputs, in catalog order (attendance, grades, exams and
    path, context): what a notice says the model read."""
    return tuple(dict.fromkeys(spec.family for spec in FEATURE_CATALOG))


@performs(Action.ISSUE_NOTICE)
def issue_notice(
    store: Store,
    actor: Actor,
    student_id: str,
    as_of: dt.date,
    issued_on: dt.date | None = None,
) -> Notice:
    """The notice of the student's entry on the list of the week of `as_of` (its Monday),
    issued on `issued_on` (default: today, UTC). NotFound when no list of that week held
    the student; `WeekDataUnavailable` when the week's recorded data are missing or
    altered; a refusal (audited) for anyone but the student's own watch unit."""
    action = Action.ISSUE_NOTICE
    with guarded(store, actor, action, student_id=student_id, read_only=True) as session:
        enrolled = student_in_scope(session, actor, action, student_id)
        entry, weekly_list = listing_entry(session, actor, student_id, as_of, action)
        uai = weekly_list.uai
        refuse_if_suspended(session, uai)  # the stop switch: no notice from a list not served
        lineage = recorded_week(session, as_of)
        establishment = session.get(Establishment, uai)
        stored_context, _ = split_context(entry.features_shown)
        student = enrolled.student
        notice = Notice(
            student_id=student_id,
            last_name=student.last_name,
            first_name=student.first_name,
            uai=uai,
            establishment_name=establishment.name if establishment else uai,
            week=lineage.week,
            as_of=lineage.as_of,
            issued_on=issued_on or dt.datetime.now(dt.UTC).date(),
            model_version=weekly_list.model_version,
            tier=entry.tier,
            reasons=tuple(ReasonView.model_validate(reason) for reason in entry.reasons),
            context=None if stored_context is None else ContextView.model_validate(stored_context),
            families=model_families(),
        )
    # The reasons were worded from these contributions: still there, as recorded.
    if lineage.contributions(uai=uai, student_id=student_id).empty:
        raise NotFound(f"student {student_id} has no recorded explanation for {lineage.week}")
    record_read(
        store, actor, "issue_notice", student_id=student_id, uai=uai,
        model_version=notice.model_version,
        detail=f"notice of the week of {lineage.week.isoformat()}",
    )  # fmt: skip
    return notice
