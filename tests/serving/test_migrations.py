"""The store's schema: migrations from an empty database, agreement with the models, and
the append-only audit log enforced by the ORM and by database triggers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError

from serving.db import AuditLogIsAppendOnly, Store, current_revision, head_revision, upgrade
from serving.db.migrate import alembic_config
from serving.db.models import AuditEntry, Base
from serving.services.audit import record

HEAD = "0014"  # the newest migration (0009 -> 0010 -> 0012 -> 0011 -> 0013 -> 0014)

TABLES = {
    "establishments",
    "students",
    "enrollments",
    "weekly_runs",
    "weekly_lists",
    "list_entries",
    "interviews",
    "dismissals",
    "users",
    "user_scopes",
    "audit_log",
    "leaver_contacts",
}


@pytest.fixture
def store(tmp_path: Path):
    store = Store.from_url(f"sqlite:///{tmp_path / 'nested' / 'store.sqlite3'}")
    yield store
    store.dispose()


def test_upgrade_from_empty_creates_every_table(store: Store) -> None:
    assert current_revision(store.engine) is None
    assert upgrade(store.engine) == head_revision(store.engine) == HEAD
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    assert upgrade(store.engine) == HEAD  # a second upgrade is a no-op


def test_models_and_migrations_agree(store: Store) -> None:
    upgrade(store.engine)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_empty_and_back(store: Store) -> None:
    upgrade(store.engine)
    config = alembic_config(store.engine)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(store.engine).get_table_names()) == {"alembic_version"}
    assert upgrade(store.engine) == HEAD


def test_a_0001_store_with_lists_upgrades_and_serves_them(store: Store) -> None:
    """A store written before list revisions: its rows start at revision 0, its lists are
    read as before, and the next week written bumps the revision."""
    from serving.db.revisions import list_revision
    from serving.services.lists import get_week_list, week_list_json
    from serving.weekly import replace_week_lists
    from tests.serving.conftest import HOME_UAI, WEEK, make_actor, week_input

    assert upgrade(store.engine, "0001") == "0001"
    with store.engine.begin() as connection:  # the rows a 0001 store holds, written by hand
        connection.execute(
            text("INSERT INTO establishments VALUES (:uai, 'Collège', 2)"), {"uai": HOME_UAI}
        )
    assert "list_revision" not in {
        c["name"] for c in inspect(store.engine).get_columns("establishments")
    }
    assert upgrade(store.engine) == HEAD
    with store.read_connection() as connection:
        assert list_revision(connection, HOME_UAI) == 0
    replace_week_lists(
        store, as_of=WEEK, model_version="m/1", establishments=week_input(), watch_threshold=0.3
    )
    with store.read_connection() as connection:
        assert list_revision(connection, HOME_UAI) == 1
    unit = make_actor("watch_unit", HOME_UAI)
    view = get_week_list(store, unit, HOME_UAI, WEEK)
    assert view.model_validate_json(week_list_json(store, unit, HOME_UAI, WEEK)) == view


def check_upgrade_of_a_0002_store(store: Store) -> None:
    """Upgrading a store at 0002 (empty) holding rows to 0003: `students.uai` becomes one
    enrollment per student, starting on the latest written week, so the watch units keep
    their students; an older week written afterwards (its facts are older) moves nobody;
    downgrading gives the column back. Also run on PostgreSQL (tests/postgres)."""
    from serving.db.models import Enrollment
    from serving.services import AccessDenied, get_student_record
    from serving.weekly import EstablishmentWeek, RosterStudent, ScoredStudent, replace_week_lists
    from tests.serving.conftest import HOME_UAI, OTHER_UAI, WEEK, make_actor

    assert current_revision(store.engine) == "0002"
    written = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    with store.engine.begin() as connection:  # a 0002 store's rows, written by hand
        connection.execute(
            text(
                "INSERT INTO establishments (uai, name, weekly_interview_capacity) "
                "VALUES (:uai, 'École', 2)"
            ),
            [{"uai": HOME_UAI}, {"uai": OTHER_UAI}],
        )
        connection.execute(
            text(
                "INSERT INTO weekly_runs (week, as_of, model_version, fingerprint, "
                "watch_threshold, establishments, entries, written_at) "
                "VALUES (:week, :week, 'm/1', 'f', 0.3, 2, 0, :written)"
            ),
            [
                {"week": WEEK - dt.timedelta(weeks=1), "written": written},
                {"week": WEEK, "written": written},
            ],
        )
        connection.execute(
            text(
                "INSERT INTO students (student_id, uai, last_name, first_name) "
                "VALUES (:id, :uai, 'Nom', 'Prénom')"
            ),
            [{"id": "H001", "uai": HOME_UAI}, {"id": "O001", "uai": OTHER_UAI}],
        )
    assert upgrade(store.engine) == HEAD
    assert "uai" not in {c["name"] for c in inspect(store.engine).get_columns("students")}
    with store.reading() as session:
        facts = session.execute(
            select(Enrollment.student_id, Enrollment.uai, Enrollment.start_date)
        ).all()
    assert sorted(facts) == [("H001", HOME_UAI, WEEK), ("O001", OTHER_UAI, WEEK)]
    home = make_actor("watch_unit", HOME_UAI)
    assert get_student_record(store, home, "H001").last_name == "Nom"
    with pytest.raises(AccessDenied):
        get_student_record(store, home, "O001")
    # An older week in which H001 was at the other school: H001 stays at HOME.
    moved = EstablishmentWeek(
        OTHER_UAI, "Lycée", 1, (ScoredStudent("H001", 0.5),), (RosterStudent("H001"),)
    )
    replace_week_lists(
        store,
        as_of=dt.date(2026, 6, 1),
        model_version="m/1",
        establishments=[moved],
        watch_threshold=0.3,
    )
    assert get_student_record(store, home, "H001").uai == HOME_UAI
    config = alembic_config(store.engine)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT student_id, uai FROM students ORDER BY 1"))
        assert rows.all() == [("H001", HOME_UAI), ("O001", OTHER_UAI)]
    assert upgrade(store.engine) == HEAD


def test_a_0002_store_keeps_each_students_establishment_as_an_enrollment(store: Store) -> None:
    assert upgrade(store.engine, "0002") == "0002"
    check_upgrade_of_a_0002_store(store)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(store: Store) -> None:
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    upgrade(store.engine)
    with pytest.raises(IntegrityError), store.transaction() as session:
        session.execute(text("INSERT INTO students (student_id) VALUES ('S1')"))
        session.execute(
            text("INSERT INTO enrollments VALUES ('S1', '0000000X', '2026-09-01', NULL)")
        )


def test_audit_log_is_append_only_in_the_orm(store: Store) -> None:
    upgrade(store.engine)
    with store.transaction() as session:
        record(session, None, "test", "allowed", detail="first")
    with pytest.raises(AuditLogIsAppendOnly), store.transaction() as session:
        session.scalars(select(AuditEntry)).one().detail = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly), store.transaction() as session:
        session.delete(session.scalars(select(AuditEntry)).one())
    with store.reading() as session:
        assert session.scalars(select(AuditEntry.detail)).all() == ["first"]


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET outcome = 'denied'", "DELETE FROM audit_log"]
)
def test_audit_log_is_append_only_in_the_database(store: Store, statement: str) -> None:
    upgrade(store.engine)
    with store.transaction() as session:
        record(session, None, "test", "allowed")
    with pytest.raises(IntegrityError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text(statement))
    with store.reading() as session:
        assert session.scalars(select(AuditEntry.outcome)).all() == ["allowed"]


def test_reading_transactions_cannot_write(store: Store) -> None:
    upgrade(store.engine)
    with pytest.raises(RuntimeError, match="read-only"), store.reading() as session:
        record(session, None, "test", "allowed")
        session.flush()


def test_a_0004_store_keeps_its_lists_as_invite_and_watch(store: Store) -> None:
    """Migration 0005: the `list` tier becomes `invite`, the old word is refused, the run
    has no follow-up rule recorded; downgrading gives `list` back."""
    from tests.serving.conftest import HOME_UAI, WEEK

    assert upgrade(store.engine, "0004") == "0004"
    with store.engine.begin() as connection:  # a 0004 store's rows, written by hand
        connection.execute(
            text(
                "INSERT INTO establishments (uai, name, weekly_interview_capacity) "
                "VALUES (:uai, 'Collège', 1)"
            ),
            {"uai": HOME_UAI},
        )
        connection.execute(text("INSERT INTO students (student_id) VALUES ('S1'), ('S2')"))
        connection.execute(
            text(
                "INSERT INTO weekly_runs (week, as_of, model_version, fingerprint, "
                "establishments, entries, written_at) "
                "VALUES (:week, :week, 'm/1', 'f', 1, 2, '2026-11-30 08:00:00')"
            ),
            {"week": WEEK},
        )
        connection.execute(
            text(
                "INSERT INTO weekly_lists (id, uai, week, as_of, model_version, "
                "weekly_interview_capacity, written_at) "
                "VALUES (1, :uai, :week, :week, 'm/1', 1, '2026-11-30 08:00:00')"
            ),
            {"uai": HOME_UAI, "week": WEEK},
        )
        connection.execute(
            text(
                "INSERT INTO list_entries (list_id, student_id, rank, tier, risk, "
                "new_this_week, interview_under_way, dismissed_recently, reasons, "
                "features_shown) VALUES (1, 'S1', 1, 'list', 0.5, 1, 0, 0, '[]', '{}'), "
                "(1, 'S2', 2, 'watch', 0.4, 1, 0, 0, '[]', '{}')"
            )
        )
    assert upgrade(store.engine) == HEAD
    with store.engine.connect() as connection:
        tiers = connection.execute(text("SELECT student_id, tier FROM list_entries ORDER BY 1"))
        assert tiers.all() == [("S1", "invite"), ("S2", "watch")]
        rule = connection.execute(text("SELECT held_weeks, risk_margin FROM weekly_runs"))
        assert rule.all() == [(None, None)]
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(text("UPDATE list_entries SET tier = 'list'"))
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(text("UPDATE list_entries SET tier = 'follow_up'"))  # no decision
    config = alembic_config(store.engine)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    with store.engine.connect() as connection:
        tiers = connection.execute(text("SELECT student_id, tier FROM list_entries ORDER BY 1"))
        assert tiers.all() == [("S1", "list"), ("S2", "watch")]
    assert upgrade(store.engine) == HEAD


LAST_SIGN_IN_INDEX = "ix_audit_log_action_outcome_username_at"


def test_each_users_last_sign_in_is_read_through_an_index(store: Store) -> None:
    """Migration 0006: listing users reads each one's last successful sign-in (password or
    OIDC; not a refused one, nor another action) from the audit log's index, never by a scan
    of the log; downgrading drops the index."""
    from serving.services.actor import Actor
    from serving.services.audit import entry_values
    from serving.services.users import NewUser, add_user, list_users

    upgrade(store.engine)
    admin = Actor.operator("test")
    for name in ("a.user", "b.user", "c.user"):
        add_user(store, admin, NewUser(name, "inspector"))
    day = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    written = [
        ("a.user", "login", "allowed", day),
        ("a.user", "login_oidc", "allowed", day + dt.timedelta(days=2)),  # a's last
        ("a.user", "login", "denied", day + dt.timedelta(days=3)),
        ("a.user", "read_student", "allowed", day + dt.timedelta(days=4)),
        ("b.user", "login", "allowed", day + dt.timedelta(days=1)),  # b's last
        ("b.user", "login_oidc", "denied", day + dt.timedelta(days=5)),
        ("c.user", "read_list", "allowed", day + dt.timedelta(days=5)),  # c never signed in
    ]
    for username, action, outcome, at in written:
        actor = Actor(username=username, role="inspector")
        store.audit_log.append({**entry_values(actor, action, outcome), "at": at})

    statements: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "audit_log" in statement:
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        listed = {user.username: user.last_sign_in_at for user in list_users(store, admin)}
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    assert listed == {
        "a.user": day + dt.timedelta(days=2),
        "b.user": day + dt.timedelta(days=1),
        "c.user": None,
    }
    assert len(statements) == 1
    with store.engine.connect() as connection:
        plan = [
            row[-1]
            for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statements[0][0]}", statements[0][1]
            )
        ]
    reads = [step for step in plan if "audit_log" in step]
    assert reads and all(
        step.startswith("SEARCH audit_log USING COVERING INDEX " + LAST_SIGN_IN_INDEX)
        for step in reads
    ), plan

    def audit_log_indexes() -> set[str | None]:
        return {index["name"] for index in inspect(store.engine).get_indexes("audit_log")}

    assert LAST_SIGN_IN_INDEX in audit_log_indexes()
    config = alembic_config(store.engine)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert LAST_SIGN_IN_INDEX not in audit_log_indexes()
    assert upgrade(store.engine) == HEAD
    assert LAST_SIGN_IN_INDEX in audit_log_indexes()


def test_0011_keeps_every_users_scopes_and_allows_the_mlds_role(store: Store) -> None:
    """0011 rebuilds `users` on SQLite (its CHECK of roles): the scopes, whose foreign key
    cascades on delete, must come through whole."""
    assert upgrade(store.engine, "0009") == "0009"
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, username, role, disabled, created_at) "
                "VALUES (1, 'cpe.a', 'watch_unit', 0, '2026-12-01 00:00:00'), "
                "(2, 'cpe.b', 'watch_unit', 0, '2026-12-01 00:00:00')"
            )
        )
        connection.execute(
            text("INSERT INTO user_scopes VALUES (1, '0350001A'), (1, '0350002B'), (2, '0290003C')")
        )
        with pytest.raises(IntegrityError), connection.begin_nested():
            connection.execute(
                text(
                    "INSERT INTO users (id, username, role, disabled, created_at) "
                    "VALUES (3, 'mlds.a', 'mlds', 0, '2026-12-01 00:00:00')"
                )
            )
    assert upgrade(store.engine) == HEAD
    with store.engine.begin() as connection:
        scopes = connection.execute(text("SELECT user_id, uai FROM user_scopes ORDER BY 1, 2"))
        assert [tuple(row) for row in scopes] == [
            (1, "0350001A"), (1, "0350002B"), (2, "0290003C"),
        ]  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO users (id, username, role, disabled, created_at) "
                "VALUES (3, 'mlds.a', 'mlds', 0, '2026-12-01 00:00:00')"
            )
        )
        with pytest.raises(IntegrityError), connection.begin_nested():
            connection.execute(text("UPDATE users SET role = 'nobody' WHERE id = 3"))
