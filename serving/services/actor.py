"""The acting user, and shorthands of what each role may see and do (DESIGN.md, "Roles").

The rules themselves are the table of `serving.services.policy`; the functions here read it
for the callers that ask a yes/no question (a page deciding whether to offer a form)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from serving.db.vocabulary import Role
from serving.services.policy import Action, allows, sees_names, sees_notes, sees_whole_academie

__all__ = [
    "Actor",
    "may_issue_notice",
    "may_manage_users",
    "may_read_audit_log",
    "may_read_explanation",
    "may_read_students",
    "may_record",
    "sees_names",
    "sees_notes",
    "sees_whole_academie",
]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user authenticated by the API or the dashboard, or the local
    operator running `vigie users ...` (role admin)."""

    username: str
    role: Role
    establishments: frozenset[str] = frozenset()

    @classmethod
    def operator(cls, login: str) -> Actor:
        return cls(username=f"operator:{login}", role="admin")

    @classmethod
    def system(cls) -> Actor:
        """The weekly run, as the audit log names it: user `system`, no role (no rule of
        the policy allows it anything)."""
        return cls(username="system", role=cast(Role, None))


def may_read_students(actor: Actor, uai: str) -> bool:
    """Lists and student records of `uai` (`serving.services.policy`, `READ_LIST`)."""
    return allows(actor, Action.READ_LIST, uai)


def may_record(actor: Actor, uai: str) -> bool:
    """Interviews and dismissals about a student of `uai` (`RECORD_INTERVIEW`)."""
    return allows(actor, Action.RECORD_INTERVIEW, uai)


def may_issue_notice(actor: Actor, uai: str) -> bool:
    """The notice to a student of `uai` and their family (`ISSUE_NOTICE`)."""
    return allows(actor, Action.ISSUE_NOTICE, uai)


def may_read_explanation(actor: Actor, uai: str) -> bool:
    """A list's explanation of a student (`READ_EXPLANATION`) on the list of `uai`."""
    return allows(actor, Action.READ_EXPLANATION, uai)


def may_read_audit_log(actor: Actor) -> bool:
    return allows(actor, Action.READ_AUDIT_LOG)


def may_manage_users(actor: Actor) -> bool:
    return allows(actor, Action.ADD_USER)
