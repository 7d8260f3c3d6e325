"""Reading the audit log (inspectors and admins); `serving.services.audit` writes it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from serving.db.engine import Store
from serving.db.models import AuditEntry
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.guard import guarded
from serving.services.policy import Action, performs
from serving.services.views import AuditEntryView

__all__ = ["list_audit_log"]


@performs(Action.READ_AUDIT_LOG)
def list_audit_log(
    store: Store,
    actor: Actor,
    *,
    student_id: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
) -> list[AuditEntryView]:
    """The most recent entries, newest first (inspectors and admins)."""
    with guarded(store, actor, Action.READ_AUDIT_LOG, read_only=True) as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if student_id is not None:
            query = query.where(AuditEntry.student_id == student_id)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        rows = session.scalars(query).all()
        views = [AuditEntryView.model_validate(row, from_attributes=True) for row in rows]
    record_read(store, actor, "read_audit_log", student_id=student_id)
    return views
