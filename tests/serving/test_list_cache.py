"""The API's cache of serialised weekly lists keeps every guarantee of reading the store each
time: a write that changes what a list shows (an interview, a dismissal, the week rewritten)
shows at the next read; a watch unit's payload with names never reaches another role; the
scope is checked, the token checked and the read audited on every request, cached or not."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from sqlalchemy import func, select

from serving.db.models import AuditEntry, Enrollment
from serving.db.payload_cache import CachedPayload, PayloadCache
from serving.db.revisions import list_revision
from serving.services import (
    AccessDenied,
    InterviewChanges,
    NewDismissal,
    NewInterview,
    disable_user,
    dismiss_student,
    get_week_list,
    record_interview,
    renew_token,
    update_interview,
)
from serving.services.lists import week_list_json
from serving.weekly import replace_week_lists
from tests.serving.conftest import (
    HOME_UAI,
    OPERATOR,
    OTHER_UAI,
    WEEK,
    World,
    establishment,
    make_actor,
    week_input,
)

LIST = f"/v1/establishments/{HOME_UAI}/lists/{WEEK.isoformat()}"
UNIT = make_actor("watch_unit", HOME_UAI)


def entries(body: bytes) -> dict[str, dict[str, object]]:
    return {entry["student_id"]: entry for entry in json.loads(body)["entries"]}


def revision(world: World, uai: str = HOME_UAI) -> int | None:
    with world.store.read_connection() as connection:
        return list_revision(connection, uai)


def read_audits(world: World) -> int:
    with world.store.reading() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "read_list")
        )


# --- the payload cache on its own ------------------------------------------------------------


def payload(revision: int, size: int = 10) -> CachedPayload:
    return CachedPayload(revision=revision, body=b"x" * size, model_version="m/1", entries=1)


def test_a_payload_is_served_only_at_the_revision_it_was_read_at() -> None:
    cache = PayloadCache(1000)
    cache.put("key", payload(3))
    assert cache.get("key", 3) == payload(3)
    assert cache.get("key", 4) is None  # the list changed since
    assert cache.get("other", 3) is None
    cache.put("key", payload(2))  # a slower reader of an older state does not win
    assert cache.get("key", 3) == payload(3)
    cache.put("key", payload(4))
    assert cache.get("key", 3) is None and cache.get("key", 4) == payload(4)


def test_memory_is_bounded_least_recently_used_first() -> None:
    cache = PayloadCache(100)
    for key in "abcd":
        cache.put(key, payload(1, size=30))
    assert len(cache) == 3 and cache.size_bytes == 90  # "a" evicted
    assert cache.get("a", 1) is None
    assert cache.get("b", 1) is not None  # "b" is now the most recently used
    cache.put("e", payload(1, size=30))
    assert cache.get("c", 1) is None and cache.get("b", 1) is not None
    cache.put("huge", payload(1, size=101))  # larger than the bound: not kept
    assert cache.get("huge", 1) is None and cache.size_bytes <= 100


def test_a_cache_of_zero_bytes_keeps_nothing() -> None:
    cache = PayloadCache(0)
    cache.put("key", payload(1))
    assert cache.get("key", 1) is None and len(cache) == 0
    with pytest.raises(ValueError):
        PayloadCache(-1)


# --- the service: never stale, never another role's payload -------------------------------------


def test_a_cached_list_is_the_view_and_is_read_once(world: World) -> None:
    first = week_list_json(world.store, UNIT, HOME_UAI, WEEK)
    hits = world.store.list_payloads.hits
    again = week_list_json(world.store, UNIT, HOME_UAI, WEEK)
    assert again == first and world.store.list_payloads.hits == hits + 1
    view = get_week_list(world.store, UNIT, HOME_UAI, WEEK)
    assert view.model_validate_json(first) == view


def test_an_interview_recorded_shows_at_the_next_read(world: World) -> None:
    assert (
        entries(week_list_json(world.store, UNIT, HOME_UAI, WEEK))["H002"]["interview_under_way"]
        is False
    )
    before = revision(world)
    interview = record_interview(
        world.store, UNIT, NewInterview(student_id="H002", status="invited")
    )
    assert revision(world) == before + 1  # bumped in the interview's transaction
    listed = entries(week_list_json(world.store, UNIT, HOME_UAI, WEEK))
    assert listed["H002"]["interview_under_way"] is True
    assert listed["H001"]["interview_under_way"] is False
    # held: no longer under way, at the next read again
    update_interview(world.store, UNIT, interview.id, InterviewChanges(status="held"))
    listed = entries(week_list_json(world.store, UNIT, HOME_UAI, WEEK))
    assert listed["H002"]["interview_under_way"] is False
    assert get_week_list(world.store, UNIT, HOME_UAI, WEEK).model_dump_json().encode() == (
        week_list_json(world.store, UNIT, HOME_UAI, WEEK)
    )


def test_a_dismissal_shows_at_the_next_read(world: World) -> None:
    assert (
        entries(week_list_json(world.store, UNIT, HOME_UAI, WEEK))["H001"]["dismissed_recently"]
        is False
    )
    dismiss_student(world.store, UNIT, NewDismissal(student_id="H001", reason="Suivi par le CMP"))
    listed = entries(week_list_json(world.store, UNIT, HOME_UAI, WEEK))
    assert listed["H001"]["dismissed_recently"] is True
    assert listed["H002"]["dismissed_recently"] is False


def test_the_week_rewritten_shows_at_the_next_read(world: World) -> None:
    inspector = make_actor("inspector")
    cached = {
        actor.role: week_list_json(world.store, actor, HOME_UAI, WEEK)
        for actor in (UNIT, inspector)
    }
    rewritten = [
        establishment(
            HOME_UAI,
            "Collège Anne de Bretagne (nouveau nom)",
            2,
            {"H001": 0.20, "H002": 0.44, "H003": 0.90, "H004": 0.05},
        ),
        week_input()[1],
    ]
    replace_week_lists(
        world.store,
        as_of=WEEK,
        model_version="vigie-dropout/4",
        establishments=rewritten,
        watch_threshold=0.3,
    )
    for actor in (UNIT, inspector):
        body = week_list_json(world.store, actor, HOME_UAI, WEEK)
        assert body != cached[actor.role]
        document = json.loads(body)
        assert document["model_version"] == "vigie-dropout/4"
        assert document["establishment_name"].endswith("(nouveau nom)")
        assert document["entries"][0]["student_id"] == "H003"


def test_a_name_changed_by_the_weekly_run_shows_at_the_next_read(world: World) -> None:
    week_list_json(world.store, UNIT, HOME_UAI, WEEK)
    renamed = week_input()
    home = renamed[0]
    roster = tuple(
        type(student)(student.student_id, last_name="Renommé", first_name=student.first_name)
        for student in home.roster
    )
    renamed[0] = type(home)(
        home.uai, home.name, home.weekly_interview_capacity, home.scored, roster
    )
    replace_week_lists(
        world.store,
        as_of=WEEK,
        model_version="vigie-dropout/3",
        establishments=renamed,
        watch_threshold=0.3,
    )
    assert {
        e["last_name"] for e in entries(week_list_json(world.store, UNIT, HOME_UAI, WEEK)).values()
    } == {"Renommé"}


def test_an_unchanged_week_written_again_keeps_the_cache(world: World) -> None:
    week_list_json(world.store, UNIT, HOME_UAI, WEEK)
    before = revision(world)
    replace_week_lists(
        world.store,
        as_of=WEEK,
        model_version="vigie-dropout/3",
        establishments=week_input(),
        watch_threshold=0.3,
    )
    assert revision(world) == before  # idempotent: nothing changed, nothing bumped
    hits = world.store.list_payloads.hits
    week_list_json(world.store, UNIT, HOME_UAI, WEEK)
    assert world.store.list_payloads.hits == hits + 1


def test_a_student_who_moved_bumps_the_old_schools_lists_too(world: World) -> None:
    with world.store.transaction() as session:  # H001 is now enrolled at the other school
        session.add(Enrollment(student_id="H001", uai=OTHER_UAI, start_date=dt.date(2026, 12, 7)))
    home, other = revision(world, HOME_UAI), revision(world, OTHER_UAI)
    other_unit = make_actor("watch_unit", OTHER_UAI)
    record_interview(world.store, other_unit, NewInterview(student_id="H001", status="invited"))
    assert (revision(world, HOME_UAI), revision(world, OTHER_UAI)) == (home + 1, other + 1)
    listed = entries(week_list_json(world.store, UNIT, HOME_UAI, WEEK))
    assert listed["H001"]["interview_under_way"] is True
    assert listed["H001"]["last_name"] is None  # moved away: a pseudonym on the old list


@pytest.mark.parametrize("first_reader", ["watch_unit", "inspector"])
def test_names_are_never_served_to_another_role(world: World, first_reader: str) -> None:
    readers = {
        "watch_unit": UNIT,
        "inspector": make_actor("inspector"),
        "data_scientist": make_actor("data_scientist"),
    }
    order = [first_reader, *(role for role in readers if role != first_reader)] * 2
    for role in order:  # each reads after the others' payloads are cached
        listed = entries(week_list_json(world.store, readers[role], HOME_UAI, WEEK))
        names = {(e["last_name"], e["first_name"]) for e in listed.values()}
        if role == "watch_unit":
            assert ("NomH001", "PrénomH001") in names
        else:
            assert names == {(None, None)}


def test_the_scope_is_checked_and_audited_on_every_read(world: World) -> None:
    week_list_json(world.store, UNIT, HOME_UAI, WEEK)  # cached
    other_unit = make_actor("watch_unit", OTHER_UAI)
    for _ in range(2):
        with pytest.raises(AccessDenied):
            week_list_json(world.store, other_unit, HOME_UAI, WEEK)
    with world.store.reading() as session:
        denied = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.outcome == "denied", AuditEntry.username == other_unit.username)
        )
    assert denied == 2
    before = read_audits(world)
    for _ in range(3):
        week_list_json(world.store, UNIT, HOME_UAI, WEEK)
    assert read_audits(world) == before + 3  # a cached read is audited like any other


# --- through the API: the token is checked on every request --------------------------------------


def test_a_user_disabled_after_a_cached_read_is_refused_at_the_next_request(
    world: World, api: httpx.Client
) -> None:
    headers = world.headers("watch_unit")
    for _ in range(2):  # the second read comes from the cache
        assert api.get(LIST, headers=headers).status_code == 200
    assert world.store.list_payloads.hits >= 1
    disable_user(world.store, OPERATOR, "cpe.home")
    response = api.get(LIST, headers=headers)
    assert response.status_code == 401 and "Nom" not in response.text


def test_a_renewed_token_replaces_the_old_one_at_the_next_request(
    world: World, api: httpx.Client
) -> None:
    headers = world.headers("inspector")
    assert api.get(LIST, headers=headers).status_code == 200
    _, new_token = renew_token(world.store, OPERATOR, "inspector")
    assert api.get(LIST, headers=headers).status_code == 401
    assert api.get(LIST, headers={"Authorization": f"Bearer {new_token}"}).status_code == 200


def test_the_api_serves_the_cached_list_with_names_only_to_the_watch_unit(
    world: World, api: httpx.Client
) -> None:
    unit = api.get(LIST, headers=world.headers("watch_unit"))
    inspector = api.get(LIST, headers=world.headers("inspector"))
    again = api.get(LIST, headers=world.headers("watch_unit"))
    assert unit.status_code == inspector.status_code == again.status_code == 200
    assert "NomH001" in unit.text and unit.text == again.text
    assert "NomH001" not in inspector.text and "Prénom" not in inspector.text
    other = api.get(LIST, headers=world.headers("other_watch_unit"))
    assert other.status_code == 403 and "Nom" not in other.text


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread
        return False
    return True


@pytest.mark.parametrize("local", [True, False])
def test_the_route_runs_its_store_work_where_the_store_wants_it(
    world: World, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, local: bool
) -> None:
    """SQLite: on the event loop (no thread trip); a server database (PostgreSQL): in worker
    threads. The same answers and the same audit either way."""
    from serving.db import Store

    where: list[bool] = []
    real = Store.read_connection

    def tracked(self: Store):  # type: ignore[no-untyped-def]
        where.append(on_event_loop())
        return real(self)

    monkeypatch.setattr(Store, "is_local", property(lambda self: local))
    monkeypatch.setattr(Store, "read_connection", tracked)
    before = read_audits(world)
    unit = api.get(LIST, headers=world.headers("watch_unit"))
    inspector = api.get(LIST, headers=world.headers("inspector"))
    assert unit.status_code == inspector.status_code == 200
    assert "NomH001" in unit.text and "NomH001" not in inspector.text
    assert read_audits(world) == before + 2
    assert where and set(where) == {local}
