"""A student's establishment is a dated fact: access follows the enrollment in force on the day
of the request, whatever order the weeks were written in; interview notes and dismissal
reasons stay with the establishment that wrote them; a watch unit cannot tell an unknown id
from another school's student; dismissal weeks stay within the school years the store knows.

HOME plays the former school (A) and OTHER the current one (B) of student M001."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from sqlalchemy import select

from serving.db.enrollments import current_establishment
from serving.db.models import AuditEntry, Enrollment
from serving.services import (
    AccessDenied,
    InvalidRequest,
    NewDismissal,
    NewInterview,
    dismiss_student,
    get_student_record,
    get_week_list,
    record_interview,
    update_interview,
)
from serving.services.inputs import InterviewChanges
from serving.services.lists import week_list_json
from serving.weekly import (
    EstablishmentWeek,
    RosterStudent,
    ScoredStudent,
    enrollment_facts,
    replace_week_lists,
)
from tests.serving.conftest import (
    HOME_UAI,
    OTHER_UAI,
    WEEK,
    World,
    make_actor,
    reasons,
    week_input,
)

PAST = dt.date(2026, 6, 1)  # 2025-2026: M001 at HOME
NEXT_WEEK = WEEK + dt.timedelta(weeks=1)
NOTES = "Parents séparés, suivi par l'assistante sociale"
REASON = "Déjà suivi par le CIO"
HOME_UNIT = make_actor("watch_unit", HOME_UAI)
OTHER_UNIT = make_actor("watch_unit", OTHER_UAI)


def write(world: World, as_of: dt.date, inputs: list[EstablishmentWeek], model: str = "m/3"):
    return replace_week_lists(
        world.store, as_of=as_of, model_version=model, establishments=inputs, watch_threshold=0.3
    )


def current_week() -> list[EstablishmentWeek]:
    """2026-11-30: M001 enrolled at OTHER since the rentrée."""
    home, other = week_input()
    moved = EstablishmentWeek(
        other.uai,
        other.name,
        other.weekly_interview_capacity,
        (*other.scored, ScoredStudent("M001", 0.9, reasons("M001"))),
        (*other.roster, RosterStudent("M001", "NomM001", "PrénomM001", dt.date(2026, 9, 1))),
    )
    return [home, moved]


def past_week() -> list[EstablishmentWeek]:
    """2026-06-01: M001 at HOME (2025-2026), ranked first on HOME's list."""
    roster = (
        RosterStudent("M001", "NomM001", "PrénomM001", dt.date(2025, 9, 1), dt.date(2026, 7, 3)),
        RosterStudent("H001", "NomH001", "PrénomH001", dt.date(2025, 9, 1)),
    )
    scored = (
        ScoredStudent("M001", 0.8, reasons("M001")),
        ScoredStudent("H001", 0.4, reasons("H001")),
    )
    return [EstablishmentWeek(HOME_UAI, "Collège Anne de Bretagne", 2, scored, roster)]


def other_school_writes(world: World) -> int:
    """OTHER's watch unit records an interview with notes and a dismissal for M001."""
    interview = record_interview(
        world.store, OTHER_UNIT, NewInterview(student_id="M001", status="invited", notes=NOTES)
    )
    dismiss_student(world.store, OTHER_UNIT, NewDismissal(student_id="M001", reason=REASON))
    return interview.id


def weeks_written(world: World, order: str) -> int:
    """The weeks of M001's move written in `order`; the id of OTHER's interview."""
    if order == "new_then_old":  # the reproduction: `vigie score --as-of` a past week last
        write(world, WEEK, current_week())
        interview_id = other_school_writes(world)
        write(world, PAST, past_week())
        write(world, PAST, past_week(), model="m/4")  # rerunning it changes nothing either
    else:
        write(world, PAST, past_week())
        write(world, WEEK, current_week())
        interview_id = other_school_writes(world)
    return interview_id


ORDERS = ["new_then_old", "old_then_new"]


@pytest.mark.parametrize("order", ORDERS)
def test_writing_weeks_in_any_order_changes_nobodys_access(world: World, order: str) -> None:
    interview_id = weeks_written(world, order)
    with world.store.reading() as session:
        assert current_establishment(session, "M001") == OTHER_UAI
    # The former school: no record, no interview, no dismissal, no change, no name.
    with pytest.raises(AccessDenied):
        get_student_record(world.store, HOME_UNIT, "M001")
    with pytest.raises(AccessDenied):
        record_interview(world.store, HOME_UNIT, NewInterview(student_id="M001", notes="x"))
    with pytest.raises(AccessDenied):
        dismiss_student(
            world.store, HOME_UNIT, NewDismissal(student_id="M001", reason="pas utile", week=PAST)
        )
    with pytest.raises(AccessDenied):
        update_interview(world.store, HOME_UNIT, interview_id, InterviewChanges(notes="x"))
    past = {e.student_id: e for e in get_week_list(world.store, HOME_UNIT, HOME_UAI, PAST).entries}
    assert (past["M001"].last_name, past["M001"].first_name) == (None, None)
    assert past["H001"].last_name == "NomH001"  # still enrolled there
    body = week_list_json(world.store, HOME_UNIT, HOME_UAI, PAST)
    assert b"M001" in body and b"NomM001" not in body
    # The current school keeps its student, its notes and its names.
    record = get_student_record(world.store, OTHER_UNIT, "M001")
    assert (record.uai, record.last_name) == (OTHER_UAI, "NomM001")
    assert [i.notes for i in record.interviews] == [NOTES]
    assert [d.reason for d in record.dismissals] == [REASON]
    assert {h.week: h.uai for h in record.history} == {WEEK: OTHER_UAI, PAST: HOME_UAI}
    now = {e.student_id: e for e in get_week_list(world.store, OTHER_UNIT, OTHER_UAI, WEEK).entries}
    assert now["M001"].last_name == "NomM001"
    update_interview(world.store, OTHER_UNIT, interview_id, InterviewChanges(status="held"))
    with world.store.reading() as session:
        denied = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.outcome == "denied", AuditEntry.student_id == "M001"
            )
        ).all()
    assert denied == ["read_student", "record_interview", "dismiss", "update_interview"]


@pytest.mark.parametrize("order", ORDERS)
def test_writing_weeks_in_any_order_changes_nobodys_access_through_the_api(
    api: httpx.Client, world: World, order: str
) -> None:
    interview_id = weeks_written(world, order)
    home, other = world.headers("watch_unit"), world.headers("other_watch_unit")
    responses = [
        api.get("/v1/students/M001", headers=home),
        api.post("/v1/interviews", json={"student_id": "M001", "notes": "x"}, headers=home),
        api.post(
            "/v1/dismissals",
            json={"student_id": "M001", "reason": "pas utile", "week": PAST.isoformat()},
            headers=home,
        ),
        api.patch(f"/v1/interviews/{interview_id}", json={"notes": "x"}, headers=home),
    ]
    assert [response.status_code for response in responses] == [403] * 4
    for response in responses:
        assert "NomM001" not in response.text and NOTES not in response.text
    past = api.get(f"/v1/establishments/{HOME_UAI}/lists/{PAST.isoformat()}", headers=home)
    assert past.status_code == 200
    named = {e["student_id"]: e["last_name"] for e in past.json()["entries"]}
    assert named == {"M001": None, "H001": "NomH001"}
    record = api.get("/v1/students/M001", headers=other)
    assert record.status_code == 200
    assert record.json()["uai"] == OTHER_UAI
    assert record.json()["interviews"][0]["notes"] == NOTES
    assert record.json()["dismissals"][0]["reason"] == REASON


def moved_after_an_interview(world: World) -> int:
    """H004 (HOME) gets an interview under way with notes and a dismissal at HOME, then moves
    to OTHER the next week (a normal move, weeks written in order)."""
    interview = record_interview(
        world.store, HOME_UNIT, NewInterview(student_id="H004", status="invited", notes=NOTES)
    )
    dismiss_student(world.store, HOME_UNIT, NewDismissal(student_id="H004", reason=REASON))
    home, other = week_input()
    moved = EstablishmentWeek(
        other.uai,
        other.name,
        other.weekly_interview_capacity,
        (*other.scored, ScoredStudent("H004", 0.95, reasons("H004"))),
        (*other.roster, RosterStudent("H004", "NomH004", "PrénomH004", NEXT_WEEK)),
    )
    stayed = EstablishmentWeek(
        home.uai,
        home.name,
        home.weekly_interview_capacity,
        tuple(s for s in home.scored if s.student_id != "H004"),
        tuple(s for s in home.roster if s.student_id != "H004"),
    )
    write(world, NEXT_WEEK, [stayed, moved])
    return interview.id


def test_notes_and_reasons_stay_with_the_school_that_wrote_them(world: World) -> None:
    interview_id = moved_after_an_interview(world)
    record = get_student_record(world.store, OTHER_UNIT, "H004")
    [interview] = record.interviews
    # The new school sees that an interview took place, not what was written.
    assert (interview.uai, interview.status, interview.notes) == (HOME_UAI, "invited", None)
    assert interview.notes_withheld is True
    [dismissal] = record.dismissals
    assert (dismissal.uai, dismissal.reason, dismissal.reason_withheld) == (HOME_UAI, None, True)
    assert NOTES not in record.model_dump_json() and REASON not in record.model_dump_json()
    # Nobody changes the former school's interview: not the former school, not the new one.
    for unit in (HOME_UNIT, OTHER_UNIT):
        with pytest.raises(AccessDenied):
            update_interview(world.store, unit, interview_id, InterviewChanges(notes="changed"))
    # The new school records its own interview (the one left open elsewhere does not block)
    # and reads its own notes.
    mine = record_interview(
        world.store, OTHER_UNIT, NewInterview(student_id="H004", status="invited", notes="ok")
    )
    record = get_student_record(world.store, OTHER_UNIT, "H004")
    assert {i.id: i.notes for i in record.interviews} == {interview_id: None, mine.id: "ok"}
    for role in ("inspector", "data_scientist"):  # no free text for the académie-wide roles
        seen = get_student_record(world.store, make_actor(role), "H004").model_dump_json()
        assert NOTES not in seen and REASON not in seen and '"ok"' not in seen


def test_notes_of_the_former_school_are_withheld_through_the_api(
    api: httpx.Client, world: World
) -> None:
    interview_id = moved_after_an_interview(world)
    response = api.get("/v1/students/H004", headers=world.headers("other_watch_unit"))
    assert response.status_code == 200
    assert NOTES not in response.text and REASON not in response.text
    assert response.json()["interviews"][0]["notes_withheld"] is True
    patch = api.patch(
        f"/v1/interviews/{interview_id}", json={"notes": "x"}, headers=world.headers("watch_unit")
    )
    assert patch.status_code == 403


def test_an_unknown_id_and_another_schools_student_look_the_same_to_a_watch_unit(
    world: World, api: httpx.Client
) -> None:
    refusals = []
    for student_id in ("NOPE42", "O001"):
        with pytest.raises(AccessDenied) as refused:
            get_student_record(world.store, HOME_UNIT, student_id)
        refusals.append(str(refused.value))
        with pytest.raises(AccessDenied):
            record_interview(world.store, HOME_UNIT, NewInterview(student_id=student_id))
    assert refusals[0] == refusals[1]
    headers = world.headers("watch_unit")
    unknown, elsewhere = (api.get(f"/v1/students/{i}", headers=headers) for i in ("NOPE42", "O001"))
    assert (unknown.status_code, unknown.json()) == (elsewhere.status_code, elsewhere.json())
    assert unknown.status_code == 403
    posts = [
        api.post("/v1/interviews", json={"student_id": i}, headers=headers)
        for i in ("NOPE42", "O001")
    ]
    assert (posts[0].status_code, posts[0].json()) == (posts[1].status_code, posts[1].json())
    with world.store.reading() as session:
        denied = session.execute(
            select(AuditEntry.action, AuditEntry.student_id)
            .where(AuditEntry.outcome == "denied", AuditEntry.username == "test.watch_unit")
            .order_by(AuditEntry.id)
        ).all()
    assert denied == [
        ("read_student", "NOPE42"),
        ("record_interview", "NOPE42"),
        ("read_student", "O001"),
        ("record_interview", "O001"),
    ]
    # The académie-wide roles may still be told that an id is unknown.
    inspector = api.get("/v1/students/NOPE42", headers=world.headers("inspector"))
    assert inspector.status_code == 404


@pytest.mark.parametrize(
    "week", [dt.date(1, 1, 1), dt.date(9999, 12, 27), dt.date(2026, 8, 31), dt.date(2027, 9, 6)]
)
def test_dismissal_weeks_outside_the_known_school_years_are_refused(
    world: World, api: httpx.Client, week: dt.date
) -> None:
    with pytest.raises(InvalidRequest, match=r"week: .* allowed from 2026-09-01 to 2027-08-31"):
        dismiss_student(
            world.store, HOME_UNIT, NewDismissal(student_id="H001", reason="pas utile", week=week)
        )
    response = api.post(
        "/v1/dismissals",
        json={"student_id": "H001", "reason": "pas utile", "week": week.isoformat()},
        headers=world.headers("watch_unit"),
    )
    assert response.status_code == 422
    assert "2026-09-01" in json.dumps(response.json())
    # The first and last Mondays of the known school year are accepted.
    for allowed in (dt.date(2026, 9, 7), dt.date(2027, 8, 30)):
        dismissal = dismiss_student(
            world.store, HOME_UNIT, NewDismissal(student_id="H001", reason="suivi", week=allowed)
        )
        assert dismissal.week == allowed


def test_enrollment_facts_of_a_week() -> None:
    since = dt.date(2026, 9, 1)
    week = EstablishmentWeek(
        HOME_UAI,
        "Collège",
        1,
        (ScoredStudent("S1", 0.5), ScoredStudent("S3", 0.4)),
        (RosterStudent("S1", enrolled_since=since), RosterStudent("S2")),
    )
    assert sorted(enrollment_facts([week], WEEK), key=lambda f: f["student_id"]) == [
        {"student_id": "S1", "uai": HOME_UAI, "start_date": since, "end_date": None},
        {"student_id": "S2", "uai": HOME_UAI, "start_date": WEEK, "end_date": None},
        {"student_id": "S3", "uai": HOME_UAI, "start_date": WEEK, "end_date": None},
    ]


def test_an_older_week_adds_no_newer_fact_and_un_ends_nothing(world: World) -> None:
    since, until = dt.date(2026, 9, 1), dt.date(2026, 12, 11)

    def home_week(end: dt.date | None) -> list[EstablishmentWeek]:
        roster = (RosterStudent("H001", "NomH001", "PrénomH001", since, end),)
        return [EstablishmentWeek(HOME_UAI, "Collège", 2, (ScoredStudent("H001", 0.5),), roster)]

    write(world, NEXT_WEEK, home_week(until))  # the enrollment has ended since
    write(world, WEEK, home_week(None), model="m/9")  # an older week: not ended then
    with world.store.reading() as session:
        facts = session.execute(
            select(Enrollment.uai, Enrollment.start_date, Enrollment.end_date).where(
                Enrollment.student_id == "H001"
            )
        ).all()
    assert sorted(facts) == [(HOME_UAI, since, until), (HOME_UAI, WEEK, None)]


def test_a_move_makes_cached_named_lists_unusable(world: World) -> None:
    def names() -> dict[str, object]:
        body = json.loads(week_list_json(world.store, HOME_UNIT, HOME_UAI, WEEK))
        return {entry["student_id"]: entry["last_name"] for entry in body["entries"]}

    assert names()["H001"] == "NomH001"  # cached with names
    home, other = week_input()
    moved = EstablishmentWeek(
        other.uai,
        other.name,
        other.weekly_interview_capacity,
        other.scored,
        (*other.roster, RosterStudent("H001", "NomH001", "PrénomH001", NEXT_WEEK)),
    )
    write(world, NEXT_WEEK, [home, moved])
    assert names()["H001"] is None


def test_an_enrollment_starting_overnight_is_not_served_from_yesterdays_cache(
    world: World, monkeypatch: pytest.MonkeyPatch, request_day: dt.date
) -> None:
    """No write happens when a known future enrollment comes into force: the day of the
    request is part of the cache key."""
    tomorrow = request_day + dt.timedelta(days=1)
    with world.store.transaction() as session:
        session.add(Enrollment(student_id="H002", uai=OTHER_UAI, start_date=tomorrow))
    first = json.loads(week_list_json(world.store, HOME_UNIT, HOME_UAI, WEEK))
    assert {e["student_id"]: e["last_name"] for e in first["entries"]}["H002"] == "NomH002"
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: tomorrow)
    second = json.loads(week_list_json(world.store, HOME_UNIT, HOME_UAI, WEEK))
    assert {e["student_id"]: e["last_name"] for e in second["entries"]}["H002"] is None
    with pytest.raises(AccessDenied):
        get_student_record(world.store, HOME_UNIT, "H002")


def test_the_weekly_write_is_audited_as_system(world: World) -> None:
    write_week = replace_week_lists(
        world.store,
        as_of=NEXT_WEEK,
        model_version="m/3",
        establishments=week_input(),
        watch_threshold=0.3,
        by="vigie score (OS user cron)",
    )
    assert write_week.changed
    with world.store.reading() as session:
        entries = session.execute(
            select(AuditEntry.username, AuditEntry.role, AuditEntry.detail)
            .where(AuditEntry.action == "write_week_lists")
            .order_by(AuditEntry.id)
        ).all()
    assert [(user, role) for user, role, _ in entries] == [("system", None)] * 2
    assert entries[0][2].startswith("by system; week 2026-11-30")
    assert entries[1][2].startswith("by vigie score (OS user cron); week 2026-12-07")
    assert not any("Nom" in detail for _, _, detail in entries)


def test_an_older_week_rewrites_no_newer_name(world: World) -> None:
    home, other = week_input()
    renamed = EstablishmentWeek(
        HOME_UAI,
        "Collège Anne-de-Bretagne",
        3,
        home.scored,
        tuple(
            RosterStudent(s.student_id, s.last_name, "Nouveau" if s.student_id == "H001" else None)
            for s in home.roster
        ),
    )
    write(world, NEXT_WEEK, [renamed, other])
    write(world, WEEK, week_input(), model="m/9")  # the older week again, its older names
    record = get_student_record(world.store, HOME_UNIT, "H001")
    assert (record.last_name, record.first_name) == ("NomH001", "Nouveau")
    listed = get_week_list(world.store, HOME_UNIT, HOME_UAI, WEEK)
    assert listed.establishment_name == "Collège Anne-de-Bretagne"
