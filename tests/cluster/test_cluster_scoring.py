"""`vigie score` on an extraction partitioned by académie, one partition per task on a
two-worker local cluster: the same lists, scores (bitwise) and recorded data as the
single-machine run of each académie, the model sent once to each worker, the week switched in
one transaction (a killed worker's task runs again; a failing partition leaves the previous
week exactly as it was, nothing staged left), and each establishment's week readable by its
own watch unit only."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from distributed import Client, KilledWorker
from sqlalchemy import select

from features.calendar import monday_on_or_before
from features.incremental import STATE_FOLDER
from features.partitions import PartitionError, find_partitions
from models.risk_model import RiskModel
from serving.db import Store, open_store
from serving.db.models import Dismissal, WeeklyList, WeeklyRun
from serving.lineage import WEEKS_FOLDER, recorded_week
from serving.scoring import RegisteredModel, score_week
from serving.scoring import cluster as cluster_scoring
from serving.scoring.cluster import (
    SNAPSHOTS_FOLDER,
    SharedInputs,
    WeeklyScoring,
    score_partitioned_week,
)
from serving.scoring.model import ModelLoading, ModelUnavailable
from serving.services.dashboard_explain import get_student_waterfall
from serving.services.errors import AccessDenied
from serving.services.lists import get_week_list
from tests.cluster.test_cluster_scoring_support import (
    AS_OF,
    NAMES,
    always_killed,
    killed_once,
    lineage_frames,
    registered,
    sqlite_store,
    store_tables,
    week_content,
)
from tests.serving.conftest import make_actor

__all__ = ["registered"]  # fixture

WEEK = monday_on_or_before(AS_OF)


@pytest.fixture(scope="module")
def single_machine(
    academies: Path, registered: RegisteredModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Store]]:
    """Each académie's week by the single-machine run (`vigie score` on its folder), each in
    a store of its own."""
    stores, openers = {}, []
    for partition in find_partitions(academies):
        assert partition.name is not None
        opener = sqlite_store(tmp_path_factory.mktemp(f"single-{partition.name}"))
        store = next(opener)
        openers.append(opener)
        home = Path(str(store.engine.url.database)).parent
        score_week(partition.path, AS_OF, store, registered, home=home, watch_threshold=0.2)
        stores[partition.name] = store
    yield stores
    for opener in openers:
        next(opener, None)


class _Spy:
    """Records what a client's `register_plugin` and `submit` are given."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.plugins: list[Any] = []
        self.submitted: list[tuple[Any, ...]] = []

    def __enter__(self) -> _Spy:
        register, submit = self.client.register_plugin, self.client.submit

        def spied_register(plugin: Any, name: str | None = None) -> Any:
            self.plugins.append(plugin)
            return register(plugin, name=name)

        def spied_submit(function: Any, *args: Any, **options: Any) -> Any:
            self.submitted.append(args)
            return submit(function, *args, **options)

        self.client.register_plugin = spied_register  # type: ignore[method-assign]
        self.client.submit = spied_submit  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        del self.client.register_plugin
        del self.client.submit


@pytest.fixture(scope="module")
def on_cluster(
    academies: Path,
    registered: RegisteredModel,
    cluster: Client,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, WeeklyScoring, _Spy]]:
    """The week of both académies scored on the cluster, in one store."""
    opener = sqlite_store(tmp_path_factory.mktemp("on-cluster"))
    store = next(opener)
    with _Spy(cluster) as spy:
        result = score_partitioned_week(
            academies, AS_OF, store, registered, home=_home(store), watch_threshold=0.2,
            client=cluster,
        )  # fmt: skip
    yield store, result, spy
    next(opener, None)


def _home(store: Store) -> Path:
    return Path(str(store.engine.url.database)).parent


def _merged(stores: dict[str, Store]) -> dict[str, list[tuple[Any, ...]]]:
    """The content of several stores together, in the canonical order of `week_content`."""
    merged: dict[str, list[tuple[Any, ...]]] = {}
    for store in stores.values():
        for table, rows in week_content(store).items():
            merged.setdefault(table, []).extend(rows)
    order = {"entries": lambda row: (row[0], row[7])}
    return {
        table: sorted(rows, key=order.get(table, lambda row: row[:3]))
        for table, rows in merged.items()
    }


def _uais(store: Store) -> list[str]:
    with store.reading() as session:
        return sorted(session.scalars(select(WeeklyList.uai)))


def test_the_cluster_writes_the_single_machine_lists_and_scores_of_every_academie(
    on_cluster: tuple[Store, WeeklyScoring, _Spy], single_machine: dict[str, Store]
) -> None:
    store, result, _ = on_cluster
    content = week_content(store)
    # Bitwise: risks, changes, reasons and values shown compare with ==, not a tolerance.
    assert content == _merged(single_machine)
    assert result.written.changed
    assert result.scored_students == sum(s.enrolled for s in result.establishments)
    uais = {name: _uais(single) for name, single in single_machine.items()}
    assert _uais(store) == sorted(uais["Nantes"] + uais["Rennes"])
    assert set(uais["Nantes"]).isdisjoint(uais["Rennes"])
    for name in NAMES:  # every académie has lists with students to invite
        listed = [row for row in content["entries"] if row[0] in uais[name]]
        assert any(row[8] == "invite" for row in listed), name
    # The recorded data of each establishment (the partition's snapshot, the listed
    # students' contributions) are those of the single-machine week, read through the
    # lineage with their hashes checked.
    for name, single in single_machine.items():
        for uai in uais[name]:
            features, contributions = lineage_frames(store, uai)
            alone_features, alone_contributions = lineage_frames(single, uai)
            pd.testing.assert_frame_equal(features, alone_features, check_exact=True)
            pd.testing.assert_frame_equal(contributions, alone_contributions, check_exact=True)
            assert len(features) > 0 and len(contributions) > 0


def test_the_model_goes_once_to_each_worker_and_no_task_carries_it(
    on_cluster: tuple[Store, WeeklyScoring, _Spy], registered: RegisteredModel
) -> None:
    _, _, spy = on_cluster
    # One worker plugin holds the model: each worker process unpickles it once (and a
    # worker restarted mid-run gets it at its start); it is removed after the run.
    assert len(spy.plugins) == 1
    assert spy.plugins[0].model is registered.model
    assert len(spy.submitted) == len(NAMES)  # one task per partition
    for args in spy.submitted:  # a task carries the run's key, never the model
        assert not any(isinstance(arg, RiskModel) for arg in args)
        assert any(isinstance(arg, SharedInputs) for arg in args)
    plugins = spy.client.run(lambda dask_worker: list(dask_worker.plugins))
    assert all(spy.plugins[0].key not in names for names in plugins.values())


def test_the_week_records_one_snapshot_per_partition(
    on_cluster: tuple[Store, WeeklyScoring, _Spy],
) -> None:
    store, _, _ = on_cluster
    with store.reading() as session:
        lineage = recorded_week(session, WEEK)
    lineage.verify()
    snapshots = Path(lineage.features_path)
    assert snapshots.name == SNAPSHOTS_FOLDER
    assert sorted(p.name for p in snapshots.iterdir()) == [f"{n}.parquet" for n in NAMES]
    # Only the recorded folder is left under the week's folder.
    day = _home(store) / WEEKS_FOLDER / AS_OF.isoformat()
    assert [p for p in day.iterdir()] == [lineage.folder]


def test_without_a_cluster_the_partitions_are_scored_here_alike(
    academies: Path,
    registered: RegisteredModel,
    on_cluster: tuple[Store, WeeklyScoring, _Spy],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same week as on the cluster, its write taking the queues the partitions ranked
    (no decision came in between: no queue is ranked again)."""
    import serving.weekly.store as weekly_store

    def unranked(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("ranked again")

    monkeypatch.setattr(weekly_store, "rank_students", unranked)
    for store in sqlite_store(tmp_path / "here"):
        score_partitioned_week(
            academies, AS_OF, store, registered, home=tmp_path / "here", watch_threshold=0.2
        )
        assert week_content(store) == week_content(on_cluster[0])
        assert _fingerprint(store) == _fingerprint(on_cluster[0])


def _loading(load: Callable[[], RiskModel]) -> ModelLoading:
    """The registered version 1 of vigie-dropout, its model coming from `load` in a thread."""
    return ModelLoading("vigie-dropout", "1", "alias champion", load)


def test_here_the_partitions_do_not_wait_for_the_model_still_loading(
    academies: Path,
    registered: RegisteredModel,
    on_cluster: tuple[Store, WeeklyScoring, _Spy],
    tmp_path: Path,
) -> None:
    """Scored here, the first académie is validated and aggregated while the model loads
    (as `vigie score` runs it: the model's thread beside the run), and the week is the
    cluster's."""
    begun = threading.Event()

    def task(*args: Any) -> Any:
        begun.set()
        return cluster_scoring.score_partition(*args)

    def load() -> RiskModel:
        # Loaded only once a partition's task has begun: a run that waited for the model
        # before its tasks would never get it.
        if not begun.wait(120):
            raise ModelUnavailable("no partition began while the model was loading")
        return registered.model

    for store in sqlite_store(tmp_path / "here"):
        result = score_partitioned_week(
            academies, AS_OF, store, _loading(load), home=tmp_path / "here",
            watch_threshold=0.2, task=task,
        )  # fmt: skip
        assert result.model_version == "vigie-dropout/1"
        assert week_content(store) == week_content(on_cluster[0])


def test_a_model_that_cannot_be_loaded_leaves_the_previous_week_and_states(
    academies: Path, previous_week: Store, tmp_path: Path
) -> None:
    """The partitions began while the model was loading; it fails: nothing is written,
    staged or kept."""

    def unavailable() -> RiskModel:
        raise ModelUnavailable("vigie-dropout version 1 cannot be loaded")

    home = tmp_path / "home"
    before, files, states = store_tables(previous_week), _artifacts(home), _state_files(home)
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        score_partitioned_week(
            academies, AS_OF, previous_week, _loading(unavailable), home=home,
            watch_threshold=0.2,
        )  # fmt: skip
    assert store_tables(previous_week) == before
    assert _artifacts(home) == files
    assert _state_files(home) == states and states


def _state_files(home: Path) -> dict[str, bytes]:
    """Every file under the home's weekly states (hidden ones included), with its bytes."""
    folder = home / STATE_FOLDER
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


def _fingerprint(store: Store) -> str:
    with store.reading() as session:
        run = session.get(WeeklyRun, WEEK)
        assert run is not None
        return run.fingerprint


@pytest.fixture
def previous_week(academies: Path, registered: RegisteredModel, tmp_path: Path) -> Iterator[Store]:
    """A store whose week was already written (with another watch threshold)."""
    for store in sqlite_store(tmp_path / "home"):
        score_partitioned_week(
            academies, AS_OF, store, registered, home=tmp_path / "home", watch_threshold=0.1
        )
        yield store


def _artifacts(home: Path) -> list[str]:
    """Every file and folder under the home's weeks folder, hidden ones included."""
    return sorted(p.relative_to(home).as_posix() for p in (home / WEEKS_FOLDER).rglob("*"))


def test_a_worker_killed_mid_task_has_its_partition_scored_again(
    academies: Path,
    registered: RegisteredModel,
    fault_cluster: Client,
    on_cluster: tuple[Store, WeeklyScoring, _Spy],
    previous_week: Store,
    tmp_path: Path,
) -> None:
    task = functools.partial(killed_once, victim="Rennes", marker=tmp_path / "killed")
    score_partitioned_week(
        academies, AS_OF, previous_week, registered, home=tmp_path / "home",
        watch_threshold=0.2, client=fault_cluster, task=task,
    )  # fmt: skip
    assert (tmp_path / "killed").exists()
    assert week_content(previous_week) == week_content(on_cluster[0])
    with previous_week.reading() as session:
        lineage = recorded_week(session, WEEK)
    lineage.verify()
    # The half-written snapshot of the killed worker is gone; the replaced week's folder too.
    assert sorted(p.name for p in Path(lineage.features_path).iterdir()) == [
        f"{n}.parquet" for n in NAMES
    ]
    day = tmp_path / "home" / WEEKS_FOLDER / AS_OF.isoformat()
    assert [p for p in day.iterdir()] == [lineage.folder]


def test_a_partition_that_kills_every_worker_leaves_the_previous_week_untouched(
    academies: Path,
    registered: RegisteredModel,
    fault_cluster: Client,
    previous_week: Store,
    tmp_path: Path,
) -> None:
    before, files = store_tables(previous_week), _artifacts(tmp_path / "home")
    task = functools.partial(always_killed, victim="Nantes")
    with pytest.raises(KilledWorker):
        score_partitioned_week(
            academies, AS_OF, previous_week, registered, home=tmp_path / "home",
            watch_threshold=0.2, client=fault_cluster, task=task,
        )  # fmt: skip
    assert store_tables(previous_week) == before
    assert _artifacts(tmp_path / "home") == files
    with previous_week.reading() as session:
        recorded_week(session, WEEK).verify()


def test_an_invalid_partition_fails_the_run_naming_it_and_leaves_the_previous_week(
    academies: Path,
    registered: RegisteredModel,
    cluster: Client,
    previous_week: Store,
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(academies, broken)
    table = broken / "academie=Nantes" / "students.parquet"
    frame = pd.read_parquet(table)
    frame.loc[2, "sex"] = "X"
    frame.to_parquet(table, index=False)
    before, files = store_tables(previous_week), _artifacts(tmp_path / "home")

    with pytest.raises(PartitionError) as raised:
        score_partitioned_week(
            broken, AS_OF, previous_week, registered, home=tmp_path / "home",
            watch_threshold=0.2, client=cluster,
        )  # fmt: skip

    message = " ".join(str(raised.value).split())
    assert message.startswith("partition academie=Nantes: ")
    assert "students row 3, sex:" in message and "'X' is not one of: F, M" in message
    assert store_tables(previous_week) == before
    assert _artifacts(tmp_path / "home") == files


def test_each_establishment_reads_only_its_own_week_written_by_the_cluster(
    academies: Path,
    registered: RegisteredModel,
    cluster: Client,
    previous_week: Store,
    tmp_path: Path,
) -> None:
    store = previous_week
    # The week rewritten on the cluster (another threshold): access is checked on the
    # rewritten week, not only on the first.
    score_partitioned_week(
        academies, AS_OF, store, registered, home=tmp_path / "home", watch_threshold=0.2,
        client=cluster,
    )  # fmt: skip
    by_partition = {}
    with store.reading() as session:
        lists = list(session.scalars(select(WeeklyList).where(WeeklyList.week == WEEK)))
        for weekly in lists:
            by_partition[weekly.uai] = [entry.student_id for entry in weekly.entries]
    nantes = [uai for uai in by_partition if by_partition[uai][0].startswith("S01")]
    rennes = [uai for uai in by_partition if uai not in nantes]
    assert nantes and rennes
    home_uai, other_uai = rennes[0], nantes[0]
    own = make_actor("watch_unit", home_uai)

    view = get_week_list(store, own, home_uai, WEEK)
    assert [entry.student_id for entry in view.entries] == by_partition[home_uai]
    with pytest.raises(AccessDenied):
        get_week_list(store, own, other_uai, WEEK)

    def load(version: str) -> RiskModel:
        assert version == registered.label
        return registered.model

    mine = by_partition[home_uai][0]
    waterfall = get_student_waterfall(store, own, mine, WEEK, load)
    assert waterfall is not None
    theirs = by_partition[other_uai][0]
    with pytest.raises(AccessDenied):
        get_student_waterfall(store, own, theirs, WEEK, load)
    # And the other académie's watch unit sees its own list, not ours.
    other = make_actor("watch_unit", other_uai)
    assert [e.student_id for e in get_week_list(store, other, other_uai, WEEK).entries] == (
        by_partition[other_uai]
    )
    with pytest.raises(AccessDenied):
        get_week_list(store, other, home_uai, WEEK)


def _dismiss(store: Store, uai: str, student_id: str) -> None:
    with store.transaction() as session:
        session.add(Dismissal(student_id=student_id, uai=uai, week=WEEK, reason="test",
                              created_by="test.watch_unit"))  # fmt: skip


def _first_invited(store: Store) -> tuple[str, str]:
    with store.reading() as session:
        weekly = session.scalars(select(WeeklyList).order_by(WeeklyList.uai)).first()
        assert weekly is not None
        return weekly.uai, weekly.entries[0].student_id


def test_a_decision_recorded_during_the_run_is_applied_and_its_slot_explained_by_the_cluster(
    academies: Path,
    registered: RegisteredModel,
    cluster: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workers queue against the decisions read when the run started; one recorded
    while they ran moves a slot at the write, whose student the cluster explains from the
    partition's snapshot: the week is the one a run started after the decision writes."""
    homes = {name: tmp_path / name for name in ("during", "before")}
    stores = {name: next(sqlite_store(home)) for name, home in homes.items()}
    for name, store in stores.items():  # a first week, capacity only
        score_partitioned_week(academies, AS_OF, store, registered, home=homes[name],
                               watch_threshold=None, client=cluster)  # fmt: skip
    uai, student = _first_invited(stores["before"])
    _dismiss(stores["before"], uai, student)
    score_partitioned_week(academies, AS_OF, stores["before"], registered,
                           home=homes["before"], watch_threshold=None)  # fmt: skip

    write = cluster_scoring.replace_week_lists
    asked: list[tuple[str, str]] = []
    explain = cluster_scoring._StagedPartitions.explain

    def dismissed_meanwhile(store: Store, **options: Any) -> Any:
        _dismiss(store, uai, student)
        return write(store, **options)

    def spied(self: Any, pairs: Any) -> Any:
        asked.extend(pairs)
        return explain(self, pairs)

    monkeypatch.setattr(cluster_scoring, "replace_week_lists", dismissed_meanwhile)
    monkeypatch.setattr(cluster_scoring._StagedPartitions, "explain", spied)
    score_partitioned_week(academies, AS_OF, stores["during"], registered,
                           home=homes["during"], watch_threshold=None, client=cluster)  # fmt: skip

    assert asked and all(pair[0] == uai for pair in asked)  # the freed slot's student
    content = week_content(stores["during"])
    assert content == week_content(stores["before"])
    entries = [row for row in content["entries"] if row[0] == uai]
    assert [row[6] for row in entries if row[8] == "follow_up"] == [student]
    for name in ("features", "contributions"):
        during, before = (lineage_frames(stores[n], uai)[name == "contributions"]
                          for n in ("during", "before"))  # fmt: skip
        pd.testing.assert_frame_equal(during, before, check_exact=True)
    for store in stores.values():
        store.dispose()


def test_vigie_score_uses_the_cluster_of_vigie_dask_scheduler_and_refuses_it_on_one_folder(
    academies: Path,
    registered: RegisteredModel,
    cluster: Client,
    on_cluster: tuple[Store, WeeklyScoring, _Spy],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    import serving.scoring
    from vigie.cli import app

    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    # The running test cluster, as a real scheduler would be named (tcp://HOST:PORT).
    monkeypatch.setenv("VIGIE_DASK_SCHEDULER", cluster.scheduler.address)
    monkeypatch.setattr(serving.scoring, "start_loading_registered_model", lambda **_: registered)
    runner = CliRunner()
    args = ["score", "--data", str(academies), "--as-of", AS_OF.isoformat(), "--lang", "en"]

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "Week of 2026-11-16: 6 lists written" in result.output
    assert "Stages: partitions" in result.output
    store = open_store(f"sqlite:///{tmp_path / 'home' / 'serving' / 'vigie.sqlite3'}")
    assert week_content(store) == week_content(on_cluster[0])
    store.dispose()
    for name in NAMES:  # each académie's validation and features, from no state
        assert f"academie={name}: Whole extraction validated: no state kept" in result.output
        assert f"academie={name}: Features: computed from every event" in result.output
    # The next week goes on from each académie's state.
    later = runner.invoke(app, [*args[:-4], "--as-of", "2026-11-23", "--lang", "en"])
    assert later.exit_code == 0, later.output
    for name in NAMES:
        assert f"academie={name}: Incremental validation: events from 2026-11-16 on" in later.output
        assert (f"academie={name}: Features: events from 2026-11-16 on added to the sums kept "
                "from the week of 2026-11-16.") in later.output  # fmt: skip
    single = runner.invoke(
        app, ["score", "--data", str(academies / "academie=Rennes"), "--as-of",
              AS_OF.isoformat(), "--cluster", "local:2"],
    )  # fmt: skip
    assert single.exit_code == 2
    said = " ".join(single.output.replace("│", " ").split())  # (out of its box)
    assert "--cluster" in said and "is a single extraction" in said
