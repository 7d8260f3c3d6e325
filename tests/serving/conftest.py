"""A small operational store for the serving tests: two establishments, a few students with
a written week's list, and one user of each role (plus a watch unit of the other school).

Everything is made in the tests: a migrated SQLite file under tmp_path, lists written by
`replace_week_lists` exactly as `vigie score` will write them.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from serving.api import create_app
from serving.api.deps import API_THROTTLE
from serving.db import Store, open_store
from serving.db.models import Enrollment, Student
from serving.services import Actor, NewUser, add_user
from serving.throttle import Throttle
from serving.weekly import EstablishmentWeek, Reason, RosterStudent, ScoredStudent

HOME_UAI = "0350023K"
OTHER_UAI = "0290001A"
WEEK = dt.date(2026, 11, 30)
# The day every test's requests are made on (access follows the enrollment in force that day):
# after every week the tests write, so no test depends on the real date.
TODAY = dt.date(2026, 12, 16)
OPERATOR = Actor.operator("test")


def reasons(student_id: str) -> tuple[Reason, ...]:
    return (
        Reason(
            "absence_half_days_4w",
            12,
            2,
            0.5,
            "12 demi-journées d'absence en 4 semaines",
            "12 half-days absent in 4 weeks",
        ),
        Reason(
            "grade_mean_trend",
            -2.5,
            0.0,
            0.3,
            "Moyenne en baisse de 2,5 points",
            "Average down 2.5 points",
        ),
        Reason("repeated_year", True, False, 0.2, "A redoublé", "Repeated a year"),
    )


def establishment(uai: str, name: str, capacity: int, risks: dict[str, float]) -> EstablishmentWeek:
    scored = tuple(
        ScoredStudent(
            student_id,
            risk,
            reasons(student_id),
            {"absence_half_days_4w": 12, "grade_mean_trend": -2.5},
        )
        for student_id, risk in risks.items()
    )
    roster = tuple(
        RosterStudent(student_id, last_name=f"Nom{student_id}", first_name=f"Prénom{student_id}")
        for student_id in risks
    )
    return EstablishmentWeek(uai, name, capacity, scored, roster)


def week_input() -> list[EstablishmentWeek]:
    return [
        establishment(
            HOME_UAI,
            "Collège Anne de Bretagne",
            2,
            {"H001": 0.61, "H002": 0.44, "H003": 0.32, "H004": 0.05},
        ),
        establishment(OTHER_UAI, "Lycée Brizeux", 1, {"O001": 0.72, "O002": 0.41, "O003": 0.02}),
    ]


@dataclass
class Tokens:
    watch_unit: str
    other_watch_unit: str
    inspector: str
    data_scientist: str
    admin: str


@dataclass
class World:
    store: Store
    tokens: Tokens
    url: str

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self.tokens, role)}"}


def make_users(store: Store) -> Tokens:
    specs = {
        "watch_unit": NewUser("cpe.home", "watch_unit", (HOME_UAI,)),
        "other_watch_unit": NewUser("cpe.other", "watch_unit", (OTHER_UAI,)),
        "inspector": NewUser("inspector", "inspector"),
        "data_scientist": NewUser("data.scientist", "data_scientist"),
        "admin": NewUser("admin", "admin"),
    }
    return Tokens(**{role: add_user(store, OPERATOR, new)[1] for role, new in specs.items()})


@pytest.fixture(autouse=True)
def request_day(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: TODAY)
    return TODAY


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Tokens]:
    """A migrated store with the week written and the users made, built once: each test
    gets its own copy (migrating and hashing anew for every test would dominate the suite)."""
    from serving.weekly import replace_week_lists

    path = tmp_path_factory.mktemp("template") / "store.sqlite3"
    store = open_store(f"sqlite:///{path}")
    replace_week_lists(
        store,
        as_of=WEEK,
        model_version="vigie-dropout/3",
        establishments=week_input(),
        watch_threshold=0.3,
    )
    tokens = make_users(store)
    store.dispose()  # closing the last connection checkpoints the WAL into the file
    return path, tokens


@pytest.fixture
def world(tmp_path: Path, template_store: tuple[Path, Tokens]) -> Iterator[World]:
    template, tokens = template_store
    path = tmp_path / "store.sqlite3"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    store = Store.from_url(url)
    yield World(store, tokens, url)
    store.dispose()


@dataclass
class LiveServer:
    """A real uvicorn server on loopback (ephemeral port) serving one app; the tests point
    the app at their own store."""

    app: FastAPI
    url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    placeholder = open_store(f"sqlite:///{tmp_path_factory.mktemp('live') / 'empty.sqlite3'}")
    app = create_app(placeholder)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    yield LiveServer(app, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    placeholder.dispose()


@pytest.fixture
def api(world: World, live_server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client to the live server, whose app now serves this test's store."""
    live_server.app.state.store = world.store
    live_server.app.state.auth_throttle = Throttle(API_THROTTLE)  # each test counts anew
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


def make_actor(role: str, *uais: str) -> Actor:
    """An actor as authentication would build it (for service-level tests)."""
    return Actor(username=f"test.{role}", role=role, establishments=frozenset(uais))  # type: ignore[arg-type]


def stored_rosters(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every student and enrollment row of `store`, sorted."""
    with store.reading() as session:
        return {
            "students": sorted(
                session.execute(
                    select(Student.student_id, Student.last_name, Student.first_name)
                ).all()
            ),
            "enrollments": sorted(
                session.execute(
                    select(
                        Enrollment.student_id,
                        Enrollment.uai,
                        Enrollment.start_date,
                        Enrollment.end_date,
                    )
                ).all()
            ),
        }
