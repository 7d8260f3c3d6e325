"""A partitioned extraction's week (`vigie score` on academie=NAME/ folders, as the cluster
path writes it: `bulk=True`, the rosters loaded with COPY) on PostgreSQL holds exactly what
the same run writes to SQLite with executemany, on a first write and on a rewrite of the
week over the rows already there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from features.synth.academies import synthesize_academies
from serving.db import Store, open_store
from serving.db.models import RosterState, WeeklyRun
from serving.scoring import RegisteredModel
from serving.scoring.cluster import score_partitioned_week
from serving.weekly import store as weekly_store
from serving.weekly.bulk import copy_upsert
from tests.cluster.test_cluster_scoring_support import AS_OF, registered, week_content
from tests.postgres.conftest import Server

__all__ = ["registered"]  # fixture


@pytest.fixture(scope="session")
def academies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rennes and Nantes, a few hundred students each (the cluster tests' sizes)."""
    out = tmp_path_factory.mktemp("partitioned") / "extraction"
    synthesize_academies(out, 2, seed=3, establishments=3, students=300, years=2,
                         burn_in_years=0)  # fmt: skip
    return out


@pytest.fixture
def stores(postgres: Server, tmp_path: Path) -> Iterator[dict[str, Store]]:
    opened = {
        "postgresql": open_store(postgres.new_database()),
        "sqlite": open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}"),
    }
    yield opened
    for store in opened.values():
        store.dispose()


def _fingerprint(store: Store) -> str:
    with store.reading() as session:
        run = session.get(WeeklyRun, AS_OF)
        assert run is not None
        return run.fingerprint


def test_the_bulk_loaded_week_equals_the_sqlite_one(
    academies: Path,
    registered: RegisteredModel,
    stores: dict[str, Store],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert stores["postgresql"].engine.dialect.name == "postgresql"
    copied: list[str] = []

    def spied(session: Any, table: Any, rows: Any, statement: Any) -> None:
        copied.append(table.name)
        copy_upsert(session, table, rows, statement)

    monkeypatch.setattr(weekly_store, "copy_upsert", spied)
    for threshold in (0.1, 0.2, 0.3):  # the next runs rewrite the week over existing rows
        if threshold == 0.2:
            # As in a store written before the roster state (migration 0013): the rosters
            # are loaded again, over the rows already there.
            for store in stores.values():
                with store.transaction() as session:
                    session.execute(delete(RosterState))
        for name, store in stores.items():
            score_partitioned_week(
                academies, AS_OF, store, registered, home=tmp_path / name,
                watch_threshold=threshold,
            )  # fmt: skip
        on_postgresql = week_content(stores["postgresql"])
        assert on_postgresql == week_content(stores["sqlite"])
        assert _fingerprint(stores["postgresql"]) == _fingerprint(stores["sqlite"])
        assert len(on_postgresql["students"]) > 500
        assert len(on_postgresql["enrollments"]) >= len(on_postgresql["students"])
        assert on_postgresql["entries"]
    # PostgreSQL loaded the rosters with COPY (SQLite never does), on the first two writes;
    # the third found them held (`roster_state`) and copied none.
    assert sorted(set(copied)) == ["enrollments", "establishments", "students"]
    assert copied.count("enrollments") == 2
    assert copied.count("establishments") == 3
