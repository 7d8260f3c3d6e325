"""The store's closed vocabularies: roles, interview statuses and solutions, list tiers
(the parts of the weekly queue) and the follow-up decisions.

Kept in one place so the tables' CHECK constraints, the service layer and the API schemas
agree on the same words."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "AUDIT_OUTCOMES",
    "FOLLOW_UP_KINDS",
    "INTERVIEW_SOLUTIONS",
    "INTERVIEW_STATUSES",
    "INTERVIEW_TRANSITIONS",
    "LIST_TIERS",
    "OPEN_INTERVIEW_STATUSES",
    "ROLES",
    "AuditOutcome",
    "FollowUpKind",
    "InterviewSolution",
    "InterviewStatus",
    "ListTier",
    "Role",
    "check_in",
]

Role = Literal["watch_unit", "inspector", "data_scientist", "admin"]
InterviewStatus = Literal["to_invite", "invited", "held", "declined", "not_needed"]
InterviewSolution = Literal[
    "return_to_training", "aar", "morea", "tutoring", "foquale", "insertion", "other"
]
# The parts of a week's queue (`models.queue`): the capacity's slots, the students over the
# watch threshold beyond them, and the students in follow-up (who never take a slot).
ListTier = Literal["invite", "watch", "follow_up"]
# Why a student is in follow-up (`models.queue.DecisionKind`).
FollowUpKind = Literal["under_way", "held", "dismissed"]
AuditOutcome = Literal["allowed", "denied"]

ROLES: tuple[Role, ...] = get_args(Role)
INTERVIEW_STATUSES: tuple[InterviewStatus, ...] = get_args(InterviewStatus)
INTERVIEW_SOLUTIONS: tuple[InterviewSolution, ...] = get_args(InterviewSolution)
LIST_TIERS: tuple[ListTier, ...] = get_args(ListTier)
FOLLOW_UP_KINDS: tuple[FollowUpKind, ...] = get_args(FollowUpKind)
AUDIT_OUTCOMES: tuple[AuditOutcome, ...] = get_args(AuditOutcome)

# An interview moves to_invite -> invited -> held; it can end declined or not_needed before
# it is held. held, declined and not_needed are final.
INTERVIEW_TRANSITIONS: dict[InterviewStatus, frozenset[InterviewStatus]] = {
    "to_invite": frozenset({"invited", "declined", "not_needed"}),
    "invited": frozenset({"held", "declined", "not_needed"}),
    "held": frozenset(),
    "declined": frozenset(),
    "not_needed": frozenset(),
}
# An interview "under way": the student is marked on the weekly list, not dropped.
OPEN_INTERVIEW_STATUSES: frozenset[InterviewStatus] = frozenset({"to_invite", "invited"})


def check_in(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK constraint limiting `column` to `values`."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"
