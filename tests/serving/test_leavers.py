"""The leavers as an MLDS user reads them and records contacts, and as anyone else tries:
the bassin's leavers with names, path, interviews and contacts; never a student who left
another bassin, nor one who has since gone back to school elsewhere (by the store's
enrollments or the extraction's, whatever date is asked and whichever past week is written
again), nor the students of an establishment taken out of the bassin; every read and write
audited, every refusal too, the same refusal for an unknown id and another bassin's student."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import delete, select

from serving.db.models import AuditEntry, User, UserScope
from serving.services import AccessDenied, Conflict, InvalidRequest, get_student_record
from serving.services.actor import Actor
from serving.services.leaver_views import ContactChanges, NewContact
from serving.services.leavers import get_leavers, record_contact, update_contact
from serving.services.users import active_actor
from tests.features.leavers_extraction import AS_OF, BASSIN_A, BASSIN_B, OUTSIDE
from tests.serving.leavers_world import (
    LeaversWorld,
    make_leavers_world,
    record_extraction,
    write_week,
)

SECOND_WEEK = dt.date(2026, 12, 7)
BACK_ON = dt.date(2026, 12, 2)  # L_DURING enrolled at OUTSIDE from that day, in the later data
SEEN_BY_BASSIN = ["L_CAP", "L_DURING", "L_EDGE", "L_SUMMER"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[LeaversWorld]:
    made = make_leavers_world(tmp_path)
    yield made
    made.store.dispose()


def actor(world: LeaversWorld, username: str) -> Actor:
    found = active_actor(world.store, username)
    assert found is not None
    return found


def seen(world: LeaversWorld, username: str, as_of: dt.date = AS_OF, *uais: str) -> list[str]:
    view = get_leavers(world.store, actor(world, username), as_of, uais)
    return sorted(leaver.student_id for leaver in view.leavers)


def audit(world: LeaversWorld, username: str) -> list[tuple[str, str, str | None, str | None]]:
    with world.store.reading() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.outcome, AuditEntry.uai, AuditEntry.student_id)
            .where(AuditEntry.username == username)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_bassin_reads_its_leavers_with_names_path_and_interview(world: LeaversWorld) -> None:
    view = get_leavers(world.store, actor(world, "mlds.bassin"), AS_OF)
    assert view.week == AS_OF and view.establishments == [BASSIN_A, BASSIN_B]
    by_id = {leaver.student_id: leaver for leaver in view.leavers}
    assert sorted(by_id) == SEEN_BY_BASSIN
    during = by_id["L_DURING"]
    assert (during.last_name, during.first_name) == ("NomL_DURING", "PrénomL_DURING")
    assert (during.uai, during.establishment_name, during.level) == (
        BASSIN_A,
        "Lycée du Bassin",
        "2nde",
    )
    assert [(step.school_year, step.level, step.exit_reason) for step in during.path] == [
        ("2024-2025", "3e", "completed"),
        ("2025-2026", "2nde", "dropped_out"),
    ]
    assert [exam.exam for exam in during.failed_exams] == ["dnb"]
    assert not during.interview.held and during.interview.status is None
    # Each establishment read is in the log, with the count and never a student.
    assert audit(world, "mlds.bassin") == [
        ("read_leavers", "allowed", BASSIN_A, None),
        ("read_leavers", "allowed", BASSIN_B, None),
    ]


def test_another_bassin_sees_only_its_own_leaver(world: LeaversWorld) -> None:
    # L_AWAY moved from the bassin to OUTSIDE and left from there: OUTSIDE's, not the bassin's.
    assert seen(world, "mlds.ailleurs") == ["L_AWAY"]
    assert "L_AWAY" not in seen(world, "mlds.bassin")


def test_an_establishment_outside_the_bassin_is_refused_and_audited(world: LeaversWorld) -> None:
    with pytest.raises(AccessDenied, match="not in your bassin"):
        seen(world, "mlds.bassin", AS_OF, BASSIN_A, OUTSIDE)
    assert audit(world, "mlds.bassin")[-1] == ("read_leavers", "denied", OUTSIDE, None)
    assert seen(world, "mlds.bassin", AS_OF, BASSIN_B) == ["L_EDGE", "L_SUMMER"]


@pytest.mark.parametrize("username", ["cpe.bassin", "ien.bassin", "admin.bassin"])
def test_the_other_roles_are_refused(world: LeaversWorld, username: str) -> None:
    with pytest.raises(AccessDenied, match="for the MLDS only"):
        seen(world, username)
    with pytest.raises(AccessDenied):
        new = NewContact(student_id="L_CAP", contact_date=AS_OF, action="morea")
        record_contact(world.store, actor(world, username), new)
    assert [entry[:2] for entry in audit(world, username)][-2:] == [
        ("read_leavers", "denied"),
        ("record_contact", "denied"),
    ]


def test_a_student_back_at_school_on_the_day_of_the_request_is_not_shown(
    world: LeaversWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # L_RETURNS left the bassin in June and enrolled at OUTSIDE on 7 December, as the
    # extraction already says: a leaver as of 30 November, but OUTSIDE's student by the 16th.
    assert "L_RETURNS" not in seen(world, "mlds.bassin")
    assert "L_RETURNS" not in seen(world, "mlds.ailleurs")  # OUTSIDE's, but not its leaver
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: dt.date(2026, 12, 4))
    assert "L_RETURNS" in seen(world, "mlds.bassin")


def _back_at_school(world: LeaversWorld, tmp_path: Path) -> Path:
    """A later extraction where L_DURING enrolled at OUTSIDE from `BACK_ON`, recorded with the
    week after, whose list at OUTSIDE holds the student."""
    later = tmp_path / "later"
    shutil.copytree(world.extraction, later)
    enrollments = pd.read_csv(later / "enrollments.csv", dtype=str, keep_default_na=False)
    back = {"student_id": "L_DURING", "school_year": "2026-2027", "uai": OUTSIDE,
            "level": "CAP1", "track": "vocational", "class_id": "CAP1A",
            "start_date": BACK_ON.isoformat(), "end_date": "", "exit_reason": ""}  # fmt: skip
    pd.concat([enrollments, pd.DataFrame([back])]).to_csv(later / "enrollments.csv", index=False)
    write_week(world.store, SECOND_WEEK, {OUTSIDE: [("L_DURING", BACK_ON)]})
    record_extraction(world.store, SECOND_WEEK, later)
    return later


def test_a_student_who_moved_out_of_the_bassin_is_gone_at_every_date_asked(
    world: LeaversWorld, tmp_path: Path
) -> None:
    mlds = actor(world, "mlds.bassin")
    record_contact(world.store, mlds, NewContact(student_id="L_DURING", contact_date=AS_OF,
                                                 action="aar"))  # fmt: skip
    _back_at_school(world, tmp_path)
    # As of the later week: back at school, no longer a leaver.
    assert "L_DURING" not in seen(world, "mlds.bassin", SECOND_WEEK)
    # As of the earlier week, whose extraction did not know: still not shown, the store
    # knows the student is OUTSIDE's on the day of the request.
    assert seen(world, "mlds.bassin", AS_OF) == ["L_CAP", "L_EDGE", "L_SUMMER"]
    # The past week written again with its own data moves nobody back.
    write_week(world.store, AS_OF, {BASSIN_A: [("L_STAYS", dt.date(2026, 9, 1))]})
    record_extraction(world.store, AS_OF, world.extraction)
    assert "L_DURING" not in seen(world, "mlds.bassin", AS_OF)
    # Nor any other read or write about the student.
    with pytest.raises(AccessDenied):
        get_student_record(world.store, mlds, "L_DURING")
    with pytest.raises(AccessDenied) as refused:
        record_contact(world.store, mlds, NewContact(student_id="L_DURING", contact_date=AS_OF,
                                                     action="aar"))  # fmt: skip
    with pytest.raises(AccessDenied) as unknown:
        record_contact(world.store, mlds, NewContact(student_id="NOBODY", contact_date=AS_OF,
                                                     action="aar"))  # fmt: skip
    assert str(refused.value) == str(unknown.value)  # no oracle of ids
    assert audit(world, "mlds.bassin")[-2:] == [
        ("record_contact", "denied", None, "L_DURING"),
        ("record_contact", "denied", None, "NOBODY"),
    ]


def test_the_bassin_reads_the_lists_of_its_establishments_with_names(
    world: LeaversWorld,
) -> None:
    from serving.services import get_week_list

    mlds = actor(world, "mlds.bassin")
    week = get_week_list(world.store, mlds, BASSIN_A, AS_OF)
    assert [(entry.student_id, entry.last_name) for entry in week.entries] == [
        ("L_STAYS", "NomL_STAYS")
    ]
    record = get_student_record(world.store, mlds, "L_STAYS")
    assert record.last_name == "NomL_STAYS"
    with pytest.raises(AccessDenied):
        get_week_list(world.store, mlds, OUTSIDE, AS_OF)
    with pytest.raises(AccessDenied):
        get_student_record(world.store, mlds, "L_BACK")  # OUTSIDE's student


def _remove_scope(world: LeaversWorld, username: str, uai: str) -> None:
    with world.store.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        session.execute(delete(UserScope).where(UserScope.user_id == user_id, UserScope.uai == uai))


def test_an_establishment_taken_out_of_the_bassin_takes_its_leavers_and_contacts(
    world: LeaversWorld,
) -> None:
    new = NewContact(student_id="L_SUMMER", contact_date=AS_OF, action="aar")
    contact = record_contact(world.store, actor(world, "mlds.bassin"), new)
    assert contact.uai == BASSIN_B
    _remove_scope(world, "mlds.bassin", BASSIN_B)
    assert seen(world, "mlds.bassin") == ["L_CAP", "L_DURING"]
    with pytest.raises(AccessDenied):
        seen(world, "mlds.bassin", AS_OF, BASSIN_B)
    mlds = actor(world, "mlds.bassin")
    with pytest.raises(AccessDenied):
        update_contact(world.store, mlds, contact.id, ContactChanges(outcome="accepted"))
    with pytest.raises(AccessDenied):
        record_contact(world.store, mlds, NewContact(student_id="L_SUMMER", contact_date=AS_OF,
                                                     action="aar"))  # fmt: skip


def test_contacts_are_recorded_changed_with_a_revision_and_audited(world: LeaversWorld) -> None:
    mlds = actor(world, "mlds.bassin")
    contact = record_contact(
        world.store, mlds, NewContact(student_id="L_CAP", contact_date=AS_OF, action="morea")
    )
    assert (contact.uai, contact.outcome, contact.revision) == (BASSIN_A, "proposed", 1)
    changed = update_contact(
        world.store, mlds, contact.id, ContactChanges(outcome="accepted", expected_revision=1)
    )
    assert (changed.outcome, changed.action, changed.revision) == ("accepted", "morea", 2)
    with pytest.raises(Conflict, match="at revision 2, not 1"):
        update_contact(world.store, mlds, contact.id,
                       ContactChanges(outcome="started", expected_revision=1))  # fmt: skip
    with pytest.raises(InvalidRequest, match="after today"):
        record_contact(world.store, mlds, NewContact(student_id="L_CAP", action="aar",
                                                     contact_date=dt.date(2027, 1, 4)))  # fmt: skip
    cap = next(v for v in get_leavers(world.store, mlds, AS_OF).leavers if v.student_id == "L_CAP")
    assert [(c.action, c.outcome) for c in cap.contacts] == [("morea", "accepted")]
    # Another bassin neither sees nor changes it.
    other = actor(world, "mlds.ailleurs")
    with pytest.raises(AccessDenied):
        update_contact(world.store, other, contact.id, ContactChanges(outcome="declined"))
    assert [entry for entry in audit(world, "mlds.bassin") if entry[0] != "read_leavers"] == [
        ("record_contact", "allowed", BASSIN_A, "L_CAP"),
        ("update_contact", "allowed", BASSIN_A, "L_CAP"),
    ]
    assert audit(world, "mlds.ailleurs") == [("update_contact", "denied", BASSIN_A, "L_CAP")]


def test_an_mlds_user_needs_its_bassin(world: LeaversWorld) -> None:
    from serving.services import NewUser, add_user
    from tests.serving.conftest import OPERATOR

    with pytest.raises(InvalidRequest, match="mlds user needs the establishments"):
        add_user(world.store, OPERATOR, NewUser("mlds.vide", "mlds"))
    with pytest.raises(InvalidRequest, match="sees the whole académie"):
        add_user(world.store, OPERATOR, NewUser("ien.x", "inspector", (BASSIN_A,)))


def test_each_leaver_comes_with_the_solutions_the_rules_suggest(world: LeaversWorld) -> None:
    view = get_leavers(world.store, actor(world, "mlds.bassin"), AS_OF)
    by_id = {leaver.student_id: leaver for leaver in view.leavers}
    cap = [each.solution for each in by_id["L_CAP"].suggestions]
    assert "morea" in cap  # failed the CAP
    assert "morea" not in [each.solution for each in by_id["L_SUMMER"].suggestions]
    assert by_id["L_EDGE"].age == 15 and by_id["L_EDGE"].suggestions == []  # under 16
    morea = next(each for each in by_id["L_CAP"].suggestions if each.solution == "morea")
    assert morea.awaits_interview  # no entretien de situation held yet
    assert morea.source and all(check.text_fr and check.text_en for check in morea.checks)
    assert len(view.rules_sha256) == 64


def test_a_student_who_moved_out_shows_as_a_pseudonym_on_the_bassins_past_list(
    world: LeaversWorld,
) -> None:
    from serving.services import get_week_list

    mlds = actor(world, "mlds.bassin")
    before = get_week_list(world.store, mlds, BASSIN_A, AS_OF).entries
    assert [(e.student_id, e.last_name) for e in before] == [("L_STAYS", "NomL_STAYS")]
    write_week(world.store, SECOND_WEEK, {OUTSIDE: [("L_STAYS", BACK_ON)]})  # moved out
    after = get_week_list(world.store, mlds, BASSIN_A, AS_OF).entries
    assert [(e.student_id, e.last_name, e.first_name) for e in after] == [("L_STAYS", None, None)]
    with pytest.raises(AccessDenied):
        get_student_record(world.store, mlds, "L_STAYS")
    # The past week written again moves nobody back.
    write_week(world.store, AS_OF, {BASSIN_A: [("L_STAYS", dt.date(2026, 9, 1))]})
    again = get_week_list(world.store, mlds, BASSIN_A, AS_OF).entries
    assert [(e.student_id, e.last_name) for e in again] == [("L_STAYS", None)]
