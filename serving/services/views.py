"""What the service layer returns: pydantic views, never ORM rows.

Names (`last_name`, `first_name`) are filled only for the watch unit of the establishment the
student is enrolled in on the day of the request; notes and dismissal reasons only for the
watch unit of the establishment that wrote them (`*_withheld` says one was held back); a field
a role may not see is None. The same
views are the API's response models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from features.labels import HORIZON_WEEKS
from serving.db.vocabulary import (
    AuditOutcome,
    FollowUpKind,
    InterviewSolution,
    InterviewStatus,
    ListTier,
    Role,
)
from serving.list_payload import split_context

__all__ = [
    "RISK_DESCRIPTION",
    "AuditEntryView",
    "ContextView",
    "DismissalView",
    "FollowUpRuleView",
    "FollowUpView",
    "InterviewView",
    "ListEntryView",
    "ReasonView",
    "RiskPointView",
    "StudentRecordView",
    "SuspensionView",
    "UserView",
    "WeekListView",
]


RISK_DESCRIPTION = (
    f"Calibrated probability that the student leaves school within {HORIZON_WEEKS} weeks "
    "of the list's date (the label's horizon, features.labels.HORIZON_WEEKS), from 0 to 1."
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReasonView(_View):
    """One of the three reasons for a student's risk, as the model explained it."""

    feature: str
    value: Any = Field(description="The student's value of the feature.")
    reference: Any = Field(description="A typical value to compare with.")
    share: float = Field(
        description="Share of the row's absolute log-odds contributions carried by this "
        "feature: a ranking aid, not a probability; never shown to a reader (the weight is "
        "`points`)."
    )
    text_fr: str
    text_en: str
    family: str | None = None
    reference_scope: str | None = Field(
        default=None, description="Where the reference comes from (class, level)."
    )
    contribution: float | None = None
    direction: str | None = None
    signal: str | None = Field(default=None, description="own (a reason) or context.")
    points: float | None = Field(
        default=None, description="Weight: the risk minus the risk without this signal."
    )
    risk_without: float | None = Field(default=None, description="The risk without it.")
    weight_text_fr: str | None = None
    weight_text_en: str | None = None


class ContextView(_View):
    """How much of the risk comes from the context (level, track, kind of establishment,
    priority zone): never a reason, shown apart with its weight."""

    points: float = Field(
        description="The context's weight: the risk minus the risk without the context (a "
        "difference of probabilities: 0.057 is 5.7 points)."
    )
    risk_without: float = Field(description="The risk without the context.")
    text_fr: str = ""
    text_en: str = ""


class _WithContext(_View):
    """An entry whose stored `features_shown` may carry the context summary
    (`serving.list_payload`): read apart into `context`, None for a week stored without it."""

    context: ContextView | None = Field(
        default=None,
        description="The context's weight for this student (None for a week stored "
        "before it was kept).",
    )

    @model_validator(mode="before")
    @classmethod
    def _context_apart(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "features_shown" in data:
            stored, shown = split_context(data["features_shown"])
            data = {**data, "features_shown": shown}
            if data.get("context") is None:
                data["context"] = stored
        return data


class FollowUpView(_View):
    """Why a student in follow-up takes no slot this week: the decision the weekly run
    found (`models.queue`), as it stood when the list was written."""

    kind: FollowUpKind = Field(
        description="under_way: an interview under way; held: an interview held lately; "
        "dismissed: a recent dismissal."
    )
    week: dt.date = Field(description="Monday of the week the decision was taken.")
    date: dt.date | None = Field(
        default=None, description="The interview's date, when one was given."
    )
    solution: InterviewSolution | None = Field(
        default=None, description="The solution proposed at the interview held."
    )
    risk_then: float | None = Field(
        default=None,
        description=f"The risk (of leaving within {HORIZON_WEEKS} weeks) on the latest list "
        "at or before the decision's week, if any.",
    )
    risk_now: float = Field(
        description=f"The risk of leaving within {HORIZON_WEEKS} weeks on this week's list."
    )


class FollowUpRuleView(_View):
    """The follow-up rule the week's queue was made with (`vigie score --held-weeks
    --dismissal-weeks --risk-margin`)."""

    held_weeks: int = Field(description="Weeks in follow-up after an interview held.")
    dismissal_weeks: int = Field(description="Weeks in follow-up after a dismissal.")
    risk_margin: float = Field(
        description="A rise of the risk since the decision that brings the student back "
        "(a difference of probabilities: 0.1 is 10 points)."
    )


class ListEntryView(_WithContext):
    rank: int = Field(
        description="Position in the week's queue, through its parts: invited, watched, "
        "then followed."
    )
    tier: ListTier = Field(
        description="The part of the week's queue: invite (the capacity's slots, highest "
        "risks not in follow-up), watch (at or over the watch threshold, beyond the slots), "
        "follow_up (in follow-up: never takes a slot)."
    )
    student_id: str
    last_name: str | None = None
    first_name: str | None = None
    risk: float = Field(description=RISK_DESCRIPTION)
    risk_change: float | None = Field(
        description="Change of the risk since last week's list (a difference of "
        "probabilities: 0.05 is 5 points), if listed then."
    )
    new_this_week: bool
    interview_under_way: bool = Field(
        description="An interview is under way now (live: it may have started after the "
        "list was written; the slot is given again only by the next weekly run)."
    )
    dismissed_recently: bool
    reasons: list[ReasonView]
    features_shown: dict[str, Any]
    follow_up: FollowUpView | None = Field(
        default=None, description="For a student in follow-up: the decision."
    )


class WeekListView(_View):
    uai: str
    establishment_name: str
    week: dt.date
    as_of: dt.date
    model_version: str
    weekly_interview_capacity: int
    watch_threshold: float | None
    follow_up_rule: FollowUpRuleView | None = Field(
        default=None, description="None for a week written before the follow-up rule."
    )
    written_at: dt.datetime
    entries: list[ListEntryView]


class RiskPointView(_WithContext):
    """The student on one week's list."""

    week: dt.date
    uai: str
    model_version: str
    rank: int
    tier: ListTier
    risk: float = Field(description=RISK_DESCRIPTION)
    reasons: list[ReasonView]
    features_shown: dict[str, Any]


class InterviewView(_View):
    id: int
    student_id: str
    uai: str
    status: InterviewStatus
    interview_date: dt.date | None
    solution: InterviewSolution | None
    notes: str | None = Field(
        description="Only for the watch unit of the establishment that wrote the interview."
    )
    notes_withheld: bool = Field(
        default=False, description="True when notes exist that this reader may not see."
    )
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime
    revision: int
    suggested_solutions: list[InterviewSolution] | None = Field(
        default=None,
        description="The solutions the eligibility rules suggested when the solution was "
        "recorded (empty: none fitted); None when no suggestion was made.",
    )
    followed_suggestion: bool | None = Field(
        default=None,
        description="Whether the solution chosen was among those suggested; None without a "
        "solution, a suggestion, or anything suggested.",
    )


class DismissalView(_View):
    id: int
    student_id: str
    uai: str
    week: dt.date
    reason: str | None = Field(
        description="Only for the watch unit of the establishment that wrote the dismissal."
    )
    reason_withheld: bool = Field(
        default=False, description="True when the reason is held back from this reader."
    )
    created_by: str
    created_at: dt.datetime


class StudentRecordView(_View):
    student_id: str
    uai: str = Field(description="The establishment the student is enrolled in today.")
    last_name: str | None = None
    first_name: str | None = None
    history: list[RiskPointView] = Field(
        description="Weekly lists the student was on, newest first."
    )
    interviews: list[InterviewView]
    dismissals: list[DismissalView]


class UserView(_View):
    username: str
    role: Role
    establishments: list[str]
    disabled: bool
    has_password: bool
    token_id: str | None
    token_expires_at: dt.datetime | None
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None = Field(
        default=None, description="The last successful sign-in, from the audit log."
    )


class SuspensionView(_View):
    """One suspension of the stop switch: `uai` None for every establishment; `resumed_at`
    None while it is active."""

    id: int
    uai: str | None
    reason: str
    suspended_by: str
    suspended_at: dt.datetime
    resumed_by: str | None
    resumed_at: dt.datetime | None
    resume_reason: str | None


class AuditEntryView(_View):
    id: int
    at: dt.datetime
    username: str | None
    role: str | None
    action: str
    outcome: AuditOutcome
    student_id: str | None
    uai: str | None
    model_version: str | None
    detail: str | None
