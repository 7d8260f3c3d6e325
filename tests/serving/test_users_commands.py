"""`vigie users enable|password` and the last sign-in in `vigie users list`: the same service
functions as the admin's dashboard page, the secret printed once and alone on stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from serving.db import Store
from serving.db.models import AuditEntry
from serving.services import NotAuthenticated, authenticate_password
from tests.serving.test_commands import home, invoke

__all__ = ["home"]  # the fixture, shared with test_commands

PASSWORD = "a long enough password"


def _store(home: Path) -> Store:
    return Store.from_url(f"sqlite:///{home / 'serving' / 'vigie.sqlite3'}")


def test_password_generated_once_then_disable_and_enable(home: Path) -> None:
    added = invoke("users", "add", "ien", "--role", "inspector", "--password-stdin", stdin=PASSWORD)
    assert added.exit_code == 0, added.output
    result = invoke("users", "password", "ien")
    assert result.exit_code == 0, result.output
    generated = result.stdout.strip()
    assert len(generated) >= 12 and "\n" not in generated
    assert generated not in result.stderr and "shown once" in result.stderr
    assert generated.encode() not in (home / "serving" / "vigie.sqlite3").read_bytes()
    store = _store(home)
    try:
        with pytest.raises(NotAuthenticated):  # the old password stopped working
            authenticate_password(store, "ien", PASSWORD)
        assert authenticate_password(store, "ien", generated).role == "inspector"
        assert invoke("users", "disable", "ien").exit_code == 0
        with pytest.raises(NotAuthenticated):
            authenticate_password(store, "ien", generated)
        enabled = invoke("users", "enable", "ien")
        assert enabled.exit_code == 0 and "Enabled ien" in enabled.stdout
        assert authenticate_password(store, "ien", generated).role == "inspector"
        with store.reading() as session:
            actions = session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.username == "operator:tester")
                .order_by(AuditEntry.id)
            ).all()
        assert actions == ["add_user", "reset_password", "disable_user", "enable_user"]
    finally:
        store.dispose()
    listed = json.loads(invoke("users", "list", "--json").stdout)
    assert listed[0]["last_sign_in_at"] is not None


def test_a_password_from_stdin_is_not_printed(home: Path) -> None:
    assert invoke("users", "add", "ien", "--role", "inspector").exit_code == 0
    result = invoke("users", "password", "ien", "--password-stdin", stdin=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and PASSWORD not in result.stderr
    short = invoke("users", "password", "ien", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1 and "at least 12" in short.stderr
    assert invoke("users", "enable", "nobody").exit_code == 1
