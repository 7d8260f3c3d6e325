"""A process writing audit entries to a store, for the concurrency tests: it imports the
store alone (not the test fixtures), so that it starts quickly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from serving.db import Store
from serving.db.models import AuditEntry


def write_in_process(url: str, count: int, start: Any) -> None:
    """`count` entries to the store at `url`, by the ORM and the group commit in turn, once
    every writer has reached the `start` barrier."""
    store = Store.from_url(url)
    start.wait(60)
    try:
        for number in range(count):
            values = {
                "at": dt.datetime.now(dt.UTC),
                "username": "process",
                "role": "inspector",
                "action": "read_list",
                "outcome": "allowed",
                "student_id": None,
                "uai": None,
                "model_version": None,
                "detail": f"process write {number}",
            }
            if number % 2:
                store.audit_log.append(values)
            else:
                with store.transaction() as session:
                    session.add(AuditEntry(**values))
    finally:
        store.dispose()
