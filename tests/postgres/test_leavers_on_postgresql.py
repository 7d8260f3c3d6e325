"""The MLDS on PostgreSQL: migration 0011 (the role allowed, the contacts table) down and up
again with the scopes kept, the bassin's leavers read, a contact recorded and changed with
its revision, an mlds user refused another bassin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select

from serving.db import Store, open_store, upgrade
from serving.db.migrate import alembic_config
from serving.db.models import User, UserScope
from serving.services import AccessDenied, Conflict
from serving.services.leaver_views import ContactChanges, NewContact
from serving.services.leavers import get_leavers, record_contact, update_contact
from serving.services.users import active_actor
from tests.features.leavers_extraction import AS_OF, BASSIN_A, OUTSIDE
from tests.postgres.conftest import Server
from tests.serving.leavers_world import LeaversWorld, make_leavers_world


@pytest.fixture
def world(
    postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LeaversWorld]:
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: dt.date(2026, 12, 16))
    made = make_leavers_world(tmp_path, open_store(postgres.new_database()))
    yield made
    made.store.dispose()


def test_the_mlds_on_postgresql(world: LeaversWorld) -> None:
    store: Store = world.store
    assert store.engine.dialect.name == "postgresql"
    mlds = active_actor(store, "mlds.bassin")
    assert mlds is not None
    view = get_leavers(store, mlds, AS_OF)
    assert sorted(v.student_id for v in view.leavers) == ["L_CAP", "L_DURING", "L_EDGE", "L_SUMMER"]
    contact = record_contact(store, mlds, NewContact(student_id="L_CAP", contact_date=AS_OF,
                                                     action="morea"))  # fmt: skip
    changed = update_contact(store, mlds, contact.id,
                             ContactChanges(outcome="started", expected_revision=1))  # fmt: skip
    assert changed.revision == 2
    with pytest.raises(Conflict):
        update_contact(store, mlds, contact.id, ContactChanges(outcome="completed",
                                                               expected_revision=1))  # fmt: skip
    with pytest.raises(AccessDenied):
        get_leavers(store, mlds, AS_OF, (OUTSIDE,))


def test_0011_down_and_up_on_postgresql_keeps_the_scopes(world: LeaversWorld) -> None:
    store = world.store
    with store.transaction() as session:  # the mlds users go first (0011 refuses otherwise)
        for user in session.scalars(select(User).where(User.role == "mlds")):
            session.delete(user)
    config = alembic_config(store.engine)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    upgrade(store.engine)
    with store.reading() as session:
        scopes = session.execute(select(User.username, UserScope.uai).join(UserScope.user)).all()
    assert [tuple(row) for row in scopes] == [("cpe.bassin", BASSIN_A)]
