"""The store's closed vocabularies: roles, interview statuses and solutions, list tiers
(the parts of the weekly queue), the follow-up decisions, and the MLDS's contacts with a
student who left (action proposed, outcome).

Kept in one place so the tables' CHECK constraints, the service layer and the API schemas
agree on the same words."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "AUDIT_OUTCOMES",
    "CONTACT_ACTIONS",
    "CONTACT_OUTCOMES",
    "FOLLOW_UP_KINDS",
    "INTERVIEW_SOLUTIONS",
    "INTERVIEW_STATUSES",
    "INTERVIEW_TRANSITIONS",
    "LIST_TIERS",
    "OPEN_INTERVIEW_STATUSES",
    "ROLES",
    "AuditOutcome",
    "ContactAction",
    "ContactOutcome",
    "FollowUpKind",
    "InterviewSolution",
    "InterviewStatus",
    "ListTier",
    "Role",
    "check_in",
]

# `mlds`: the coordinators and trainers of the mission against dropout for a group of
# establishments (a "bassin") and the CIO's guidance psychologists; scoped like a watch unit.
Role = Literal["watch_unit", "inspector", "data_scientist", "admin", "mlds"]
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
# What the MLDS proposes to a student who left without a solution (`LeaverContact.action`),
# and where that proposal stands (`LeaverContact.outcome`).
ContactAction = Literal[
    "entretien_de_situation", "return_to_training", "aar", "morea", "foquale", "insertion",
    "other",
]  # fmt: skip
ContactOutcome = Literal["proposed", "accepted", "declined", "no_answer", "started", "completed"]

ROLES: tuple[Role, ...] = get_args(Role)
INTERVIEW_STATUSES: tuple[InterviewStatus, ...] = get_args(InterviewStatus)
INTERVIEW_SOLUTIONS: tuple[InterviewSolution, ...] = get_args(InterviewSolution)
LIST_TIERS: tuple[ListTier, ...] = get_args(ListTier)
FOLLOW_UP_KINDS: tuple[FollowUpKind, ...] = get_args(FollowUpKind)
AUDIT_OUTCOMES: tuple[AuditOutcome, ...] = get_args(AuditOutcome)
CONTACT_ACTIONS: tuple[ContactAction, ...] = get_args(ContactAction)
CONTACT_OUTCOMES: tuple[ContactOutcome, ...] = get_args(ContactOutcome)

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
