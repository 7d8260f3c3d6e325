"""The acting user, and what each role may see and do (DESIGN.md, "Roles").

The rules are pure functions of the actor and the establishment concerned, so they are
tested as a table and reused by every service function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from serving.db.vocabulary import Role

__all__ = [
    "Actor",
    "may_manage_users",
    "may_read_audit_log",
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
        this module allows it anything)."""
        return cls(username="system", role=cast(Role, None))


def may_read_students(actor: Actor, uai: str) -> bool:
    """Lists and student records: the watch unit of the establishment (for a record: the
    establishment the student is enrolled in on the day of the request), or the académie-wide
    inspectors and data scientists (pseudonymised). Admins manage users, not students."""
    if actor.role == "watch_unit":
        return uai in actor.establishments
    return actor.role in ("inspector", "data_scientist")


def sees_whole_academie(actor: Actor) -> bool:
    """Inspectors and data scientists read every establishment's students (pseudonymised):
    to them, and only to them, an unknown student id may be told apart from one they may
    not read (a watch unit gets the same refusal for both)."""
    return actor.role in ("inspector", "data_scientist")


def may_record(actor: Actor, uai: str) -> bool:
    """Interviews and dismissals: only the watch unit of the establishment the student is
    enrolled in on the day of the request (an interview written elsewhere stays as written)."""
    return actor.role == "watch_unit" and uai in actor.establishments


def sees_names(actor: Actor, uai: str) -> bool:
    """Names: the watch unit of `uai`, the establishment the student is enrolled in on the
    day of the request (on a list: and the list's own establishment)."""
    return actor.role == "watch_unit" and uai in actor.establishments


def sees_notes(actor: Actor, written_by_uai: str) -> bool:
    """Interview notes and dismissal reasons (free text, which may hold names): only the
    watch unit of the establishment that wrote them (`Interview.uai`, `Dismissal.uai`);
    never inspectors nor data scientists, nor the student's next school."""
    return actor.role == "watch_unit" and written_by_uai in actor.establishments


def may_read_audit_log(actor: Actor) -> bool:
    return actor.role in ("inspector", "admin")


def may_manage_users(actor: Actor) -> bool:
    return actor.role == "admin"
