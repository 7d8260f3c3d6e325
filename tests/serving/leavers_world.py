"""A store for the leavers' tests: the hand-built extraction of
`tests.features.leavers_extraction`, recorded as the extraction of a written week, and the
users who read it (an MLDS user of the bassin, one of another bassin, a watch unit, an
inspector, an admin).

A week's lineage is written by `vigie score` (`serving.lineage`); here only the extraction
matters to the leavers, so the week's row records the extraction's folder and fingerprint and
placeholders for the snapshot files the leavers never read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from serving.db import Store, open_store
from serving.db.models import WeeklyRun
from serving.lineage import extraction_sha256
from serving.services import NewUser, add_user
from serving.weekly import EstablishmentWeek, RosterStudent, ScoredStudent, replace_week_lists
from tests.features.leavers_extraction import AS_OF, BASSIN_A, BASSIN_B, OUTSIDE, write_extraction
from tests.serving.conftest import OPERATOR, reasons

__all__ = ["LeaversWorld", "make_leavers_world", "record_extraction", "write_week"]

NAMES = {BASSIN_A: "Lycée du Bassin", BASSIN_B: "Lycée des Rives", OUTSIDE: "Lycée d'Ailleurs"}
USERS = {
    "mlds": NewUser("mlds.bassin", "mlds", (BASSIN_A, BASSIN_B)),
    "other_mlds": NewUser("mlds.ailleurs", "mlds", (OUTSIDE,)),
    "watch_unit": NewUser("cpe.bassin", "watch_unit", (BASSIN_A,)),
    "inspector": NewUser("ien.bassin", "inspector"),
    "admin": NewUser("admin.bassin", "admin"),
}


@dataclass
class LeaversWorld:
    store: Store
    extraction: Path
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


Roster = dict[str, Iterable[tuple[str, dt.date]]]


def write_week(store: Store, as_of: dt.date, roster: Roster) -> None:
    """A week whose lists hold `roster` (uai -> (student, enrolled since)) for the three
    establishments, each student scored at 0.5."""
    weeks = []
    for uai, name in NAMES.items():
        students = list(roster.get(uai, ()))
        scored = tuple(ScoredStudent(student, 0.5, reasons(student), {}) for student, _ in students)
        listed = tuple(
            RosterStudent(student, f"Nom{student}", f"Prénom{student}", enrolled_since=since)
            for student, since in students
        )
        weeks.append(EstablishmentWeek(uai, name, 2, scored, listed))
    replace_week_lists(
        store, as_of=as_of, model_version="vigie-dropout/3", establishments=weeks,
        watch_threshold=0.3,
    )  # fmt: skip


def record_extraction(store: Store, week: dt.date, directory: Path) -> None:
    """Record `directory` as the extraction of the written week `week`."""
    with store.transaction() as session:
        run = session.scalars(select(WeeklyRun).where(WeeklyRun.week == week)).one()
        run.extraction_path = str(directory)
        run.extraction_sha256 = extraction_sha256(directory)
        for name in ("features", "contributions"):
            setattr(run, f"{name}_path", str(directory / f"{name}.unused"))
            setattr(run, f"{name}_sha256", "0" * 64)


def make_leavers_world(tmp_path: Path, store: Store | None = None) -> LeaversWorld:
    """The world in `store` (default: a new SQLite file under `tmp_path`)."""
    store = store or open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    start = dt.date(2026, 9, 1)
    write_week(store, AS_OF, {BASSIN_A: [("L_STAYS", start)], OUTSIDE: [("L_BACK", start)]})
    extraction = write_extraction(tmp_path / "extraction")
    record_extraction(store, AS_OF, extraction)
    tokens = {who: add_user(store, OPERATOR, new)[1] for who, new in USERS.items()}
    return LeaversWorld(store, extraction, tokens)
