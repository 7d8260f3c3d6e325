"""The operational store's tables, as typed SQLAlchemy 2 declarative models.

Everything a watch unit records about a student lives here: the weekly lists with their
explanations, interviews, dismissals, the users and their scopes, and the append-only audit
log. Migrations in `serving/migrations` create exactly these tables (a test compares them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from serving.db.types import UTCDateTime, utc_now
from serving.db.vocabulary import (
    AUDIT_OUTCOMES,
    CONTACT_ACTIONS,
    CONTACT_OUTCOMES,
    FOLLOW_UP_KINDS,
    INTERVIEW_SOLUTIONS,
    INTERVIEW_STATUSES,
    LIST_TIERS,
    ROLES,
    check_in,
)

__all__ = [
    "AuditCheckpoint",
    "AuditEntry",
    "Base",
    "Dismissal",
    "Enrollment",
    "Establishment",
    "Interview",
    "LeaverContact",
    "ListEntry",
    "Student",
    "Suspension",
    "User",
    "UserScope",
    "WeekCount",
    "WeekMonitoring",
    "WeeklyList",
    "WeeklyRun",
]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UAI = String(8)
STUDENT_ID = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Establishment(Base):
    """An establishment; `list_revision` counts the writes that changed what its weekly
    lists show (a new week, names, interviews, dismissals): a cached list is served only
    while the revision it was read at is still the current one (`serving.db.revisions`)."""

    __tablename__ = "establishments"

    uai: Mapped[str] = mapped_column(UAI, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    weekly_interview_capacity: Mapped[int] = mapped_column(Integer)
    list_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Student(Base):
    """A student by pseudonymous id. Names are optional and only ever shown to the watch unit
    of the establishment the student is enrolled in on the day of the request: the
    establishment is a dated fact (`Enrollment`), never a column here."""

    __tablename__ = "students"

    student_id: Mapped[str] = mapped_column(STUDENT_ID, primary_key=True)
    last_name: Mapped[str | None] = mapped_column(String(200))
    first_name: Mapped[str | None] = mapped_column(String(200))


class Enrollment(Base):
    """A student enrolled in an establishment from `start_date` (to `end_date`, when known):
    a fact of the extraction, added by the weekly run of a week it was in force. The
    establishment of a student on a day is the enrollment with the latest start on or before
    that day (`serving.db.enrollments`): who may see and record about the student."""

    __tablename__ = "enrollments"

    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), primary_key=True)
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"), primary_key=True)
    start_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date)


class WeeklyRun(Base):
    """One scoring of one week: which model wrote the lists and a fingerprint of their
    content, so rerunning the same week with the same model and data changes nothing; the
    follow-up rule the queue was made with (`models.queue.FollowUpRule`; NULL for a week
    written before the rule, migration 0005); the week's lineage (`serving.lineage`): the
    extraction scored (folder, fingerprint), the feature snapshot of every student scored
    and the contributions of every listed student (path and SHA-256 of each file; NULL for a
    week written before lineage, migration 0007)."""

    __tablename__ = "weekly_runs"

    week: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    watch_threshold: Mapped[float | None] = mapped_column(Float)
    establishments: Mapped[int] = mapped_column(Integer)
    entries: Mapped[int] = mapped_column(Integer)
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    held_weeks: Mapped[int | None] = mapped_column(Integer)
    dismissal_weeks: Mapped[int | None] = mapped_column(Integer)
    risk_margin: Mapped[float | None] = mapped_column(Float)
    extraction_path: Mapped[str | None] = mapped_column(String(1000))
    extraction_sha256: Mapped[str | None] = mapped_column(String(64))
    features_path: Mapped[str | None] = mapped_column(String(1000))
    features_sha256: Mapped[str | None] = mapped_column(String(64))
    contributions_path: Mapped[str | None] = mapped_column(String(1000))
    contributions_sha256: Mapped[str | None] = mapped_column(String(64))
    # When the retention rule removed the week's lists and artifacts (`vigie purge`,
    # migration 0008): the row and `week_counts` remain, the lineage refuses the week.
    purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RosterState(Base):
    """Per part of each establishment's roster in the newest week written (its students
    split into `serving.weekly.roster_digest.ROSTER_PARTS` parts by a stable hash of their
    id): the digest of the part's rows (students with their names, enrollment facts), which
    that write upserted or held, and the week; a part without a row: unknown, its next write
    compares its rows (migrations 0013, 0014). Whatever else deletes or edits those rows
    empties it (`vigie purge`)."""

    __tablename__ = "roster_state"

    uai: Mapped[str] = mapped_column(String(8), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    roster_sha256: Mapped[str] = mapped_column(String(64))
    week: Mapped[dt.date] = mapped_column(Date)


class WeekMonitoring(Base):
    """The monitoring of a written week (`serving.monitoring`), one JSON payload per kind
    (`drift`, `lists`, `outcomes`): aggregates and alerts only, never a student. Rewritten
    whole by each run of the monitoring for the week (migration 0009)."""

    __tablename__ = "week_monitoring"

    week: Mapped[dt.date] = mapped_column(
        ForeignKey("weekly_runs.week", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class WeeklyList(Base):
    __tablename__ = "weekly_lists"
    __table_args__ = (UniqueConstraint("uai", "week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"))
    week: Mapped[dt.date] = mapped_column(ForeignKey("weekly_runs.week"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    model_version: Mapped[str] = mapped_column(String(100))
    weekly_interview_capacity: Mapped[int] = mapped_column(Integer)
    watch_threshold: Mapped[float | None] = mapped_column(Float)
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)

    entries: Mapped[list[ListEntry]] = relationship(
        back_populates="weekly_list", cascade="all, delete-orphan", order_by="ListEntry.rank"
    )


class ListEntry(Base):
    """One student on one week's list: rank, part of the queue (`tier`), calibrated risk,
    change since last week, the three reasons (FR and EN) and the feature values shown, as
    the model wrote them. A student in follow-up (`tier` follow_up, never in a slot) has the
    decision that keeps them there: its kind, its week (Monday), its date (the interview's
    date for a held interview, else None), the solution proposed (held interview) and the
    risk then (None when no list was written at or before that week); `risk` is the risk
    now. Ranks run through the parts: invited, watched, then followed."""

    __tablename__ = "list_entries"
    __table_args__ = (
        UniqueConstraint("list_id", "student_id"),
        UniqueConstraint("list_id", "rank"),
        CheckConstraint(check_in("tier", LIST_TIERS), name="tier"),
        CheckConstraint("risk >= 0 AND risk <= 1", name="risk"),
        CheckConstraint("rank >= 1", name="rank"),
        CheckConstraint(
            f"decision_kind IS NULL OR {check_in('decision_kind', FOLLOW_UP_KINDS)}",
            name="decision_kind",
        ),
        CheckConstraint(
            "(tier = 'follow_up' AND decision_kind IS NOT NULL AND decision_week IS NOT NULL) "
            "OR (tier <> 'follow_up' AND decision_kind IS NULL)",
            name="follow_up",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("weekly_lists.id", ondelete="CASCADE"))
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(10))
    risk: Mapped[float] = mapped_column(Float)
    risk_change: Mapped[float | None] = mapped_column(Float)
    new_this_week: Mapped[bool] = mapped_column(Boolean)
    interview_under_way: Mapped[bool] = mapped_column(Boolean)
    dismissed_recently: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    features_shown: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision_kind: Mapped[str | None] = mapped_column(String(10))
    decision_week: Mapped[dt.date | None] = mapped_column(Date)
    decision_date: Mapped[dt.date | None] = mapped_column(Date)
    decision_solution: Mapped[str | None] = mapped_column(String(30))
    decision_risk: Mapped[float | None] = mapped_column(Float)

    weekly_list: Mapped[WeeklyList] = relationship(back_populates="entries")


class Interview(Base):
    """A prevention interview (entretien de situation) and its outcome. Status transitions
    are checked by the service layer (`serving.db.vocabulary.INTERVIEW_TRANSITIONS`). Beside
    a recorded solution, the solutions the eligibility rules suggested then
    (`suggested_solutions`, a JSON list, possibly empty; NULL when no suggestion could be
    made) and the SHA-256 of the table of rules used (migration 0012)."""

    __tablename__ = "interviews"
    __table_args__ = (
        CheckConstraint(check_in("status", INTERVIEW_STATUSES), name="status"),
        CheckConstraint(
            f"solution IS NULL OR {check_in('solution', INTERVIEW_SOLUTIONS)}", name="solution"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), index=True)
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"))
    status: Mapped[str] = mapped_column(String(20))
    interview_date: Mapped[dt.date | None] = mapped_column(Date)
    solution: Mapped[str | None] = mapped_column(String(30))
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    suggested_solutions: Mapped[list[str] | None] = mapped_column(JSON)
    suggestion_rules_sha256: Mapped[str | None] = mapped_column(String(64))


class Dismissal(Base):
    """A person overruling the list: the student is not invited, for a stated reason."""

    __tablename__ = "dismissals"
    __table_args__ = (CheckConstraint("length(trim(reason)) > 0", name="reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.student_id"), index=True)
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"))
    week: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class LeaverContact(Base):
    """The MLDS's contact with a student who left without a solution
    (`serving.services.leavers`): when, the action proposed and where it stands. `uai` is the
    establishment the student left, whose MLDS users may read and change the contact.
    `student_id` is not a foreign key: a student may have left before any list was written.
    Changed with an optimistic `revision`, like an interview (migration 0011)."""

    __tablename__ = "leaver_contacts"
    __table_args__ = (
        CheckConstraint(check_in("action", CONTACT_ACTIONS), name="action"),
        CheckConstraint(check_in("outcome", CONTACT_OUTCOMES), name="outcome"),
        Index(None, "uai", "student_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[str] = mapped_column(STUDENT_ID)
    uai: Mapped[str] = mapped_column(UAI)
    contact_date: Mapped[dt.date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class User(Base):
    """A person using the dashboard or the API. Secrets are stored hashed: an argon2 hash of
    the password, a SHA-256 hash of the random API token found by its public `token_id`."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(check_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    token_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64))
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)

    scopes: Mapped[list[UserScope]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserScope.uai"
    )


class UserScope(Base):
    """An establishment a watch unit member (or an MLDS user, one row per establishment of
    its bassin) may see. Not a foreign key: a user can be
    created before the establishment's first list is written."""

    __tablename__ = "user_scopes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    uai: Mapped[str] = mapped_column(UAI, primary_key=True)

    user: Mapped[User] = relationship(back_populates="scopes")


class AuditEntry(Base):
    """Append-only: who did what to which student's record, with which model, when, and
    whether it was allowed. Never holds names or secrets. Updates and deletes are refused by
    the ORM (`serving.db.engine`) and by database triggers (migration 0001; since 0010 a
    delete passes only for entries an `AuditCheckpoint` covers, the retention rule's), SQLite's
    `INSERT OR REPLACE` by a trigger (migration 0004). Entries form a hash chain
    (`serving.db.audit_chain`): `entry_hash` is the SHA-256 of the row's columns and of
    `prev_hash`, the previous entry's hash; ids and hashes are given by `append_entries`."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(check_in("outcome", AUDIT_OUTCOMES), name="outcome"),
        Index(None, "student_id"),
        Index(None, "at"),
        # Each user's last successful sign-in (`services.users.list_users`), migration 0006.
        Index(None, "action", "outcome", "username", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    username: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    outcome: Mapped[str] = mapped_column(String(10))
    student_id: Mapped[str | None] = mapped_column(String(64))
    uai: Mapped[str | None] = mapped_column(String(8))
    model_version: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(String(300))
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """Where the audit log's retention rule (`serving.services.audit_retention`) cut the
    chain: the entries up to `through_id` were removed (`removed` of them by this purge, the
    oldest before `cutoff`); `last_hash` is the `entry_hash` of entry `through_id`, the one
    the first entry kept follows; `anchor_id` is the audit entry, in the chain, that recorded
    the purge and repeats these figures (`vigie audit-log verify` checks both). Append-only;
    a database trigger lets an audit entry be deleted only when a checkpoint covers it
    (migration 0010)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    cutoff: Mapped[dt.date] = mapped_column(Date)
    through_id: Mapped[int] = mapped_column(Integer, unique=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    removed: Mapped[int] = mapped_column(Integer)
    anchor_id: Mapped[int] = mapped_column(Integer)


class Suspension(Base):
    """The stop switch (`serving.services.suspensions`): while a suspension is active
    (`resumed_at` NULL), the lists of its establishment (`uai`; NULL: every establishment)
    are not served. Rows are never deleted: who suspended, when and why, who resumed, when and
    why stay as the history (migration 0008)."""

    __tablename__ = "suspensions"
    __table_args__ = (
        CheckConstraint("length(trim(reason)) > 0", name="reason"),
        CheckConstraint(
            "(resumed_at IS NULL AND resumed_by IS NULL AND resume_reason IS NULL) "
            "OR (resumed_at IS NOT NULL AND resumed_by IS NOT NULL "
            "AND length(trim(resume_reason)) > 0)",
            name="resumed",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uai: Mapped[str | None] = mapped_column(UAI)
    reason: Mapped[str] = mapped_column(Text)
    suspended_by: Mapped[str] = mapped_column(String(100))
    suspended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    resumed_by: Mapped[str | None] = mapped_column(String(100))
    resumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resume_reason: Mapped[str | None] = mapped_column(Text)


class WeekCount(Base):
    """What stays of a purged week's list (`serving.services.retention`): per establishment,
    how many students were to invite, to watch and in follow-up. Anonymous: no student."""

    __tablename__ = "week_counts"

    week: Mapped[dt.date] = mapped_column(ForeignKey("weekly_runs.week"), primary_key=True)
    uai: Mapped[str] = mapped_column(UAI, primary_key=True)
    invited: Mapped[int] = mapped_column(Integer)
    watched: Mapped[int] = mapped_column(Integer)
    followed: Mapped[int] = mapped_column(Integer)
