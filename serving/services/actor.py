"""The acting user, and what each role may see and do (DESIGN.md, "Roles").

The rules are pure functions of the actor and the establishment concerned, so they are
tested as a table and reused by every service function."""

from __future__ import annotations

from dataclasses import dataclass

from serving.db.vocabulary import Role

__all__ = [
    "Actor",
    "may_manage_users",
    "may_read_audit_log",
    "may_read_students",
    "may_record",
    "sees_names",
    "sees_notes",
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


def may_read_students(actor: Actor, uai: str) -> bool:
    """Lists and student records: the watch unit of the establishment, or the académie-wide
    inspectors and data scientists (pseudonymised). Admins manage users, not students."""
    if actor.role == "watch_unit":
        return uai in actor.establishments
    return actor.role in ("inspector", "data_scientist")


def may_record(actor: Actor, uai: str) -> bool:
    """Interviews and dismissals: only the establishment's own watch unit."""
    return actor.role == "watch_unit" and uai in actor.establishments


def sees_names(actor: Actor, uai: str) -> bool:
    return actor.role == "watch_unit" and uai in actor.establishments


def sees_notes(actor: Actor) -> bool:
    """Interview notes and dismissal reasons: never to data scientists."""
    return actor.role in ("watch_unit", "inspector")


def may_read_audit_log(actor: Actor) -> bool:
    return actor.role in ("inspector", "admin")


def may_manage_users(actor: Actor) -> bool:
    return actor.role == "admin"
