"""The rosters the store holds (`roster_state`, migration 0013): an establishment whose roster
is the one the newest week's write upserted does not have its rows upserted again (300,000
rows compared for nothing at an académie's scale), and the store ends exactly as if they
had; anything that may have changed those rows (another roster written since, a purge, a
start left unknown, a student on two rosters) makes the write upsert them."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

import serving.weekly.store as weekly_store
from serving.db import Store, open_store
from serving.db.models import Establishment, RosterState
from serving.services.retention import purge
from serving.weekly import EstablishmentWeek, RosterStudent, ScoredStudent, replace_week_lists
from serving.weekly.roster_digest import (
    ROSTER_PARTS,
    part_digests,
    roster_digest,
    roster_parts,
    roster_table,
)
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
                    select(
                        RosterState.uai,
                        RosterState.part,
                        RosterState.roster_sha256,
                        RosterState.week,
                    )
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
    assert {(uai, week) for uai, _, _, week in rows(skipping)["state"]} == {
        (OTHER_UAI, weeks[-1]),
        (HOME_UAI, weeks[-1]),
    }


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
    digests = part_digests(roster_table(rosters()))
    assert rows(store)["state"] == sorted((uai, p, d, WEEK) for (uai, p), d in digests.items())
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


@pytest.mark.parametrize("seed", range(5))
def test_each_parts_digest_is_its_rows_alone(seed: int) -> None:
    """The digests recorded per part of each roster, computed in one pass over the rosters'
    table, are those of each part's rows hashed alone (`roster_digest` of an establishment
    holding only them); a student stays in the same part; an empty roster has no part."""
    generator = random.Random(seed)
    inputs = []
    for number, uai in enumerate([HOME_UAI, OTHER_UAI, "0560001B"]):
        ids = generator.sample(range(1000), generator.randrange(0 if number == 2 else 1, 90))
        roster = tuple(
            RosterStudent(f"S{i:04d}", generator.choice([None, f"Nom{i}"]),
                          generator.choice([None, "Élise", "Noé"]),
                          generator.choice([None, START]),
                          generator.choice([None, dt.date(2026, 7, 4)]))
            for i in sorted(ids)
        )  # fmt: skip
        inputs.append(EstablishmentWeek(uai, uai, 1, (), roster))
    table = roster_table(inputs)
    parts = dict(zip(table.column("student_id").to_pylist(), roster_parts(table), strict=True))
    digests = part_digests(table)
    expected = {}
    for e in inputs:
        for part in sorted({parts[s.student_id] for s in e.roster}):
            alone = tuple(s for s in e.roster if parts[s.student_id] == part)
            expected[(e.uai, part)] = roster_digest([replace(e, roster=alone)])
    assert digests == expected
    assert len(set(digests.values())) == len(digests)
    assert set(roster_parts(table)) <= set(range(ROSTER_PARTS))
    again = roster_table([replace(e, roster=e.roster[1:]) for e in inputs])
    assert dict(zip(again.column("student_id").to_pylist(), roster_parts(again), strict=True)) == {
        s: p for s, p in parts.items() if s in set(again.column("student_id").to_pylist())
    }


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


def _random_weeks(generator: random.Random) -> list[list[EstablishmentWeek]]:
    """Six weeks of three schools' rosters over 150 students: each week a few move (a new
    enrollment), leave (an end date, then off the roster), come back, change names, have an
    unknown start or sit on two rosters; a few of each school are scored."""
    uais = [HOME_UAI, OTHER_UAI, "0560001B"]
    where: dict[str, tuple[str, dt.date | None, dt.date | None]] = {}
    names: dict[str, tuple[str | None, str | None]] = {}
    for number in range(150):
        student = f"S{number:03d}"
        where[student] = (generator.choice(uais), START, None)
        names[student] = (f"Nom{number}", generator.choice([None, f"Prénom{number}"]))
    weeks = []
    for k in range(6):
        day = WEEK + dt.timedelta(weeks=k)
        for student in generator.sample(sorted(where), 6):
            uai, since, until = where[student]
            change = generator.choice(["move", "leave", "back", "rename"] * 4 + ["unknown"])
            if change == "move":
                where[student] = (generator.choice(uais), day, None)
            elif change == "leave":
                where[student] = (uai, since, day + dt.timedelta(days=4))
            elif change == "back":
                where[student] = (uai, since, None)
            elif change == "rename":
                names[student] = (f"Autre{student}", names[student][1])
            else:
                where[student] = (uai, None, until)
        twice = generator.choice([None, None, None, sorted(where)[k]])
        inputs = []
        for uai in uais:
            roster = [
                RosterStudent(s, *names[s], enrolled_since=since, enrolled_until=until)
                for s, (at, since, until) in sorted(where.items())
                if at == uai and (until is None or until >= day)
            ]
            if twice is not None and uai == OTHER_UAI and where[twice][0] != uai:
                roster.append(RosterStudent(twice, *names[twice], enrolled_since=START))
            listed = generator.sample(roster, min(3, len(roster)))
            scored = tuple(
                ScoredStudent(s.student_id, generator.random(), reasons(s.student_id), {})
                for s in listed
            )
            inputs.append(EstablishmentWeek(uai, uai, 2, scored, tuple(roster)))
        weeks.append(inputs)
    return weeks


@pytest.mark.parametrize("seed", range(6))
def test_random_weeks_store_exactly_what_comparing_every_row_stores(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch, upserted: list[tuple[str, int]]
) -> None:
    """Over weeks of moves, departures, returns, new names, unknown starts and students on
    two rosters (and an older week written again), the store that writes only the changed
    parts of rosters ends exactly as the one that compares every row, week after week: the
    same students, names and dated enrollments, so the same watch unit reaches each
    student."""
    weeks = _random_weeks(random.Random(seed))
    order = [0, 1, 2, 3, 1, 4, 5, 5]  # the week of index 1 written again after the 4th
    stores: dict[str, list[dict[str, list[tuple]]]] = {}
    written: dict[str, int] = {}
    for name in ("parts", "every-row"):
        if name == "every-row":
            monkeypatch.setattr(weekly_store, "_rosters_held", lambda *args: frozenset())
        store = new_store(tmp_path, name)
        stores[name] = []
        for index in order:
            write(store, WEEK + dt.timedelta(weeks=index), weeks[index])
            stores[name].append(rows(store))
        written[name] = roster_rows(upserted)
        upserted.clear()
    assert stores["parts"] == stores["every-row"]
    assert written["parts"] < written["every-row"] * 0.75  # the unchanged parts were held
    assert stores["parts"][-1]["state"]
