"""The rosters the store holds (`roster_state`, migration 0013): an establishment whose roster
is the one the newest week's write upserted does not have its rows upserted again (300,000
rows compared for nothing at an académie's scale), and the store ends exactly as if they
had; anything that may have changed those rows (another roster written since, a purge, a
start left unknown, a student on two rosters) makes the write upsert them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

import serving.weekly.store as weekly_store
from serving.db import Store, open_store
from serving.db.models import Establishment, RosterState
from serving.services.retention import purge
from serving.weekly import EstablishmentWeek, RosterStudent, ScoredStudent, replace_week_lists
from tests.serving.conftest import (
    HOME_UAI,
    OPERATOR,
    OTHER_UAI,
    WEEK,
    reasons,
    stored_rosters,
)

START = dt.date(2025, 9, 1)


def rosters(first_names: str = "Prénom", since: dt.date | None = START) -> list[EstablishmentWeek]:
    """Two establishments; their rosters' first names from `first_names`, starts `since`;
    one scored student (H009) missing from the rosters."""

    def one(uai: str, capacity: int, risks: dict[str, float]) -> EstablishmentWeek:
        scored = tuple(
            ScoredStudent(s, r, reasons(s), {"absence_half_days_4w": 3}) for s, r in risks.items()
        )
        roster = tuple(
            RosterStudent(s, f"Nom{s}", f"{first_names}{s}", enrolled_since=since)
            for s in risks
            if s != "H009"
        )
        return EstablishmentWeek(uai, f"Établissement {uai}", capacity, scored, roster)

    return [
        one(HOME_UAI, 2, {"H001": 0.61, "H002": 0.44, "H003": 0.32, "H009": 0.2}),
        one(OTHER_UAI, 1, {"O001": 0.72, "O002": 0.41}),
    ]


def write(store: Store, week: dt.date, inputs: list[EstablishmentWeek]) -> None:
    replace_week_lists(
        store, as_of=week, model_version="m/1", establishments=inputs, watch_threshold=0.3
    )


def rows(store: Store) -> dict[str, list[tuple]]:
    """Every row the rosters write, and the state."""
    with store.reading() as session:
        return {
            **stored_rosters(store),
            "establishments": sorted(session.execute(select(Establishment.uai))),
            "state": sorted(
                session.execute(
                    select(RosterState.uai, RosterState.roster_sha256, RosterState.week)
                )
            ),
        }


@pytest.fixture
def upserted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(table, rows) of every upsert the writes make."""
    calls: list[tuple[str, int]] = []
    upsert = weekly_store._upsert

    def spy(session, table, rows, update, **options):  # type: ignore[no-untyped-def]
        calls.append((table.name, len(rows)))
        return upsert(session, table, rows, update, **options)

    monkeypatch.setattr(weekly_store, "_upsert", spy)
    return calls


def roster_rows(calls: list[tuple[str, int]]) -> int:
    return sum(n for table, n in calls if table in ("students", "enrollments"))


def new_store(tmp_path: Path, name: str) -> Store:
    return open_store(f"sqlite:///{tmp_path / name}.sqlite3")


def test_the_same_rosters_next_week_are_not_upserted_and_the_store_ends_the_same(
    tmp_path: Path, upserted: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    weeks = [WEEK + dt.timedelta(weeks=k) for k in range(3)]
    skipping = new_store(tmp_path, "skipping")
    for week in weeks:
        write(skipping, week, rosters())
    # The first week upserts its 5 students (+ the one off the rosters) and their facts; the
    # next ones only the student missing from the rosters (a row and a fact each).
    assert roster_rows(upserted[:4]) == 6 + 6
    assert roster_rows(upserted[4:]) == 2 * (1 + 1)
    upserted.clear()
    monkeypatch.setattr(weekly_store, "_rosters_held", lambda *args: frozenset())
    comparing = new_store(tmp_path, "comparing")
    for week in weeks:
        write(comparing, week, rosters())
    assert roster_rows(upserted) == 3 * 12
    assert rows(skipping) == rows(comparing)
    assert [(uai, week) for uai, _, week in rows(skipping)["state"]] == [
        (OTHER_UAI, weeks[-1]),
        (HOME_UAI, weeks[-1]),
    ]


def test_other_rosters_are_upserted_and_a_week_written_again_with_the_old_ones_too(
    tmp_path: Path, upserted: list[tuple[str, int]]
) -> None:
    store = new_store(tmp_path, "store")
    next_week = WEEK + dt.timedelta(weeks=1)
    write(store, WEEK, rosters())
    write(store, next_week, rosters("Autre"))
    assert roster_rows(upserted[-4:]) == 12  # new names: every row again
    # The same week written again with last week's rosters: the store holds the newer
    # names, not those, so they are upserted (and rewritten).
    write(store, next_week, rosters())
    assert roster_rows(upserted[-4:]) == 12
    assert ("H001", "NomH001", "PrénomH001") in rows(store)["students"]


def test_an_older_week_written_since_does_not_hide_the_newest_names(
    tmp_path: Path, upserted: list[tuple[str, int]]
) -> None:
    store = new_store(tmp_path, "store")
    write(store, WEEK, rosters())
    write(store, WEEK - dt.timedelta(weeks=1), rosters("Ancien"))  # an older week, added
    digests = weekly_store.roster_digests(rosters())
    assert rows(store)["state"] == sorted((uai, d, WEEK) for uai, d in digests.items())
    write(store, WEEK + dt.timedelta(weeks=1), rosters())
    assert roster_rows(upserted[-4:]) == 2  # held: the older week rewrote no name
    assert ("H001", "NomH001", "PrénomH001") in rows(store)["students"]


def test_unknown_starts_are_dated_by_the_week_so_they_are_upserted(
    tmp_path: Path, upserted: list[tuple[str, int]]
) -> None:
    store = new_store(tmp_path, "store")
    write(store, WEEK, rosters(since=None))
    write(store, WEEK + dt.timedelta(weeks=1), rosters(since=None))
    assert roster_rows(upserted[-4:]) == 12


def test_a_purge_clears_the_state_and_the_next_week_upserts_every_row(
    tmp_path: Path, upserted: list[tuple[str, int]]
) -> None:
    store = new_store(tmp_path, "store")
    old = rosters()
    left = RosterStudent(
        "X001", "NomX", "PrénomX", enrolled_since=START, enrolled_until=dt.date(2025, 12, 19)
    )
    home = old[0]
    old[0] = EstablishmentWeek(
        home.uai, home.name, 2, home.scored, (*home.roster, left), home.risks
    )
    write(store, dt.date(2025, 12, 15), old)
    write(store, WEEK, rosters())
    assert rows(store)["state"]
    purge(store, OPERATOR, dt.date(2026, 1, 5), apply=True)  # X001's ended enrollment goes
    assert ("X001", HOME_UAI, START, dt.date(2025, 12, 19)) not in rows(store)["enrollments"]
    assert rows(store)["state"] == []
    write(store, WEEK + dt.timedelta(weeks=1), rosters())
    assert roster_rows(upserted[-4:]) == 12
    assert rows(store)["state"]


def test_only_the_rosters_that_changed_are_upserted(
    tmp_path: Path, upserted: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = rosters()
    changed[1] = rosters("Autre")[1]  # the other school's first names, corrected
    skipping = new_store(tmp_path, "skipping")
    write(skipping, WEEK, rosters())
    write(skipping, WEEK + dt.timedelta(weeks=1), changed)
    # The home school's student off the roster (a row, a fact), the other's 2 + 2.
    assert roster_rows(upserted[-4:]) == 2 + 4
    assert ("O001", "NomO001", "AutreO001") in rows(skipping)["students"]
    monkeypatch.setattr(weekly_store, "_rosters_held", lambda *args: frozenset())
    comparing = new_store(tmp_path, "comparing")
    write(comparing, WEEK, rosters())
    write(comparing, WEEK + dt.timedelta(weeks=1), changed)
    assert rows(skipping) == rows(comparing)


def test_a_student_on_two_rosters_has_both_upserted(
    tmp_path: Path, upserted: list[tuple[str, int]]
) -> None:
    store = new_store(tmp_path, "store")
    twice = rosters()
    home, other = twice
    twice[1] = EstablishmentWeek(
        other.uai, other.name, 1, other.scored, (*other.roster, home.roster[0]), other.risks
    )
    write(store, WEEK, twice)
    write(store, WEEK + dt.timedelta(weeks=1), twice)
    assert roster_rows(upserted[-4:]) == 2 * (4 + 3) - 1 + 1  # H001 twice, H009 off roster


def test_each_rosters_digest_is_its_roster_alone() -> None:
    """The digests recorded per establishment, hashed as slices of all the rosters' table,
    are those of each roster hashed alone, an empty roster's included."""
    inputs = rosters()
    empty = EstablishmentWeek("0560001B", "Vide", 1, ())
    inputs.append(empty)
    digests = weekly_store.roster_digests(inputs)
    assert digests == {e.uai: weekly_store.roster_digest([e]) for e in inputs}
    assert len(set(digests.values())) == 3


def test_a_moved_student_stays_out_of_reach_of_the_old_school_while_rosters_are_held(
    tmp_path: Path, upserted: list[tuple[str, int]]
) -> None:
    """H002 moves from the home school to the other one; the next weeks hold both rosters
    (nothing upserted), and the week before the move is written again: the home school's
    watch unit never sees H002 again, the other school's does."""
    from serving.services import AccessDenied, get_student_record
    from tests.serving.conftest import make_actor

    store = new_store(tmp_path, "store")
    moved = rosters()
    home, other = moved
    leaving = home.roster[1]
    arrived = RosterStudent(leaving.student_id, leaving.last_name, leaving.first_name,
                            enrolled_since=WEEK + dt.timedelta(days=5))  # fmt: skip
    moved[0] = EstablishmentWeek(
        home.uai, home.name, 2, tuple(s for s in home.scored if s.student_id != "H002"),
        tuple(s for s in home.roster if s.student_id != "H002"),
    )  # fmt: skip
    moved[1] = EstablishmentWeek(
        other.uai, other.name, 1,
        (*other.scored, next(s for s in home.scored if s.student_id == "H002")),
        (*other.roster, arrived),
    )  # fmt: skip
    write(store, WEEK, rosters())
    for k in (1, 2, 3):
        write(store, WEEK + dt.timedelta(weeks=k), moved)
    assert roster_rows(upserted[-4:]) == 2  # held: only the student off the rosters
    write(store, WEEK, rosters())  # the week before the move, written again
    with pytest.raises(AccessDenied):
        get_student_record(store, make_actor("watch_unit", HOME_UAI), "H002")
    record = get_student_record(store, make_actor("watch_unit", OTHER_UAI), "H002")
    assert record.uai == OTHER_UAI
