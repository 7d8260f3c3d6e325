"""The one parser of `--cluster` and `VIGIE_DASK_SCHEDULER`, the setting, and the commands
that take them."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import typer
from dask.utils import parse_timedelta
from distributed import Client
from typer.testing import CliRunner

from features.cluster import (
    NO_WORKERS_TIMEOUT,
    LocalWorkers,
    Scheduler,
    parse_cluster,
    worker_memory_limit,
)
from features.partitioned_features import FEATURE_FILE, build_partitioned_features
from features.pipeline import stream_feature_file
from settings import SettingsError, load_settings
from tests.cluster.conftest import AS_OF_DATES
from vigie.cli import app
from vigie.commands.cluster import cluster_client, cluster_of

runner = CliRunner()
GIB = 1024**3


def _plain(output: str) -> str:
    """The output's words, without rich's box around usage errors."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("local:1", LocalWorkers(1)),
        ("local:2", LocalWorkers(2)),
        (" local:64 ", LocalWorkers(64)),
        ("tcp://scheduler.example:8786", Scheduler("tcp://scheduler.example:8786")),
        ("tcp://10.1.2.3:8786", Scheduler("tcp://10.1.2.3:8786")),
        ("tcp://[::1]:8786", Scheduler("tcp://[::1]:8786")),
        ("tls://scheduler.example:8786", Scheduler("tls://scheduler.example:8786")),
    ],
)
def test_the_three_forms_are_parsed(text: str, expected: object) -> None:
    assert parse_cluster(text) == expected
    assert str(parse_cluster(text)) == text.strip()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("local:0", "a local cluster has 1 to 64 workers, not 0"),
        ("local:65", "a local cluster has 1 to 64 workers, not 65"),
        ("tcp://host:0", "the scheduler's port must be 1 to 65535, not 0"),
        ("tcp://host:70000", "the scheduler's port must be 1 to 65535, not 70000"),
        ("local", "is not a cluster: expected local:N"),
        ("local:two", "is not a cluster"),
        ("local:-1", "is not a cluster"),
        ("tcp://host", "is not a cluster"),
        ("http://host:8786", "is not a cluster"),
        ("tls://host", "is not a cluster"),
        ("tls://host:0", "the scheduler's port must be 1 to 65535, not 0"),
        ("tcp://:8786", "is not a cluster"),
        ("", "is not a cluster"),
    ],
)
def test_anything_else_is_refused_saying_what_is_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + repr(text).replace("[", r"\[")) as raised:
        parse_cluster(text)
    assert message in str(raised.value)


def test_local_workers_share_four_fifths_of_the_memory() -> None:
    assert worker_memory_limit(2, total_bytes=24 * GIB) == int(24 * GIB * 0.8) // 2
    assert worker_memory_limit(1, total_bytes=10 * GIB) == 8 * GIB
    assert 0 < worker_memory_limit(2) < worker_memory_limit(1)
    with pytest.raises(ValueError, match="at least one worker"):
        worker_memory_limit(0)


def test_the_setting_names_the_default_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIGIE_DASK_SCHEDULER", raising=False)
    assert load_settings().cluster is None
    monkeypatch.setenv("VIGIE_DASK_SCHEDULER", "local:3")
    assert load_settings().cluster == LocalWorkers(3)
    monkeypatch.setenv("VIGIE_DASK_SCHEDULER", "tcp://scheduler.example:8786")
    assert load_settings().cluster == Scheduler("tcp://scheduler.example:8786")
    monkeypatch.setenv("VIGIE_DASK_SCHEDULER", "local:many")
    with pytest.raises(SettingsError, match=r"VIGIE_DASK_SCHEDULER='local:many'.*not a cluster"):
        load_settings()


def test_the_option_wins_over_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_DASK_SCHEDULER", "local:3")
    assert cluster_of(None) == LocalWorkers(3)
    assert cluster_of("local:1") == LocalWorkers(1)
    with pytest.raises(typer.BadParameter, match="is not a cluster"):
        cluster_of("local:")


def test_vigie_features_refuses_a_bad_cluster_naming_the_option(academies: Path) -> None:
    result = runner.invoke(
        app,
        ["features", "--data", str(academies), "--as-of", "2026-10-05", "--out", "x",
         "--cluster", "local:0", "-q"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Invalid value for --cluster: 'local:0': a local cluster has 1 to 64 workers, not 0" in (
        _plain(result.output)
    )


def test_cluster_needs_a_partitioned_extraction(academies: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["features", "--data", str(academies / "academie=Rennes"), "--as-of", "2026-10-05",
         "--out", str(tmp_path / "f.parquet"), "--cluster", "local:1", "-q"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--cluster needs one partitioned by académie" in _plain(result.output)
    assert list(tmp_path.iterdir()) == []


def test_vigie_features_runs_on_the_scheduler_the_setting_names(
    academies: Path, cluster: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = cluster.scheduler.address  # type: ignore[union-attr]
    monkeypatch.setenv("VIGIE_DASK_SCHEDULER", address)
    dataset = tmp_path / "features"
    as_of = [option for date in AS_OF_DATES for option in ("--as-of", date.isoformat())]

    result = runner.invoke(
        app, ["features", "--data", str(academies), *as_of, "--out", str(dataset), "-q"]
    )

    assert result.exit_code == 0, result.output
    assert f"of 2 académie(s), on {address}, to {dataset}" in _plain(result.output)
    single = tmp_path / "single.parquet"
    stream_feature_file(academies / "academie=Nantes", AS_OF_DATES, single)
    assert (dataset / "academie=Nantes" / FEATURE_FILE).read_bytes() == single.read_bytes()


def test_an_unreachable_scheduler_ends_with_a_message(
    academies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = runner.invoke(
            app,
            ["features", "--data", str(academies), "--as-of", "2026-10-05",
             "--out", str(tmp_path / "f"), "--cluster", "tcp://127.0.0.1:9", "-q"],
        )  # fmt: skip
    assert result.exit_code == 1
    assert "Cannot use the Dask cluster tcp://127.0.0.1:9" in _plain(result.output)
    assert list(tmp_path.iterdir()) == []


def test_the_setting_leaves_a_single_folder_extraction_on_this_machine(
    academies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No scheduler listens there: the single-machine path must not try it.
    monkeypatch.setenv("VIGIE_DASK_SCHEDULER", "tcp://127.0.0.1:9")
    out = tmp_path / "rennes.parquet"
    result = runner.invoke(
        app,
        ["features", "--data", str(academies / "academie=Rennes"), "--as-of", "2026-10-05",
         "--out", str(out), "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    single = tmp_path / "single.parquet"
    stream_feature_file(academies / "academie=Rennes", AS_OF_DATES[:1], single)
    assert out.read_bytes() == single.read_bytes()


def test_a_local_cluster_is_closed_with_its_workers_when_the_job_fails() -> None:
    import os

    import psutil

    from features.cluster import connect

    with pytest.raises(RuntimeError, match="the job failed"), connect(LocalWorkers(1)) as client:
        workers = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
        assert len(workers) == 1 and workers[0].pid != os.getpid()  # a process of its own
        raise RuntimeError("the job failed")

    assert client.status == "closed"
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []


def _without_workers(client: Client) -> None:
    """Every worker of `client`'s cluster stopped for good, its nanny with it."""
    client.retire_workers(list(client.scheduler_info()["workers"]), close_workers=True)
    deadline = time.monotonic() + 30
    while client.nthreads() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not client.nthreads()


def test_a_local_cluster_gives_up_on_tasks_once_no_worker_is_left() -> None:
    from features.cluster import connect

    with connect(LocalWorkers(1)) as client:
        waited = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.no_workers_timeout)
    assert waited == pytest.approx(parse_timedelta(NO_WORKERS_TIMEOUT)) and waited > 0


def test_a_job_left_without_workers_fails_with_a_message_and_writes_nothing(
    academies: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import dask

    dataset = tmp_path / "features"
    with (
        dask.config.set({"distributed.scheduler.no-workers-timeout": "2s"}),
        pytest.raises(typer.Exit) as ended,
        cluster_client(LocalWorkers(1)) as client,
    ):
        assert client is not None
        _without_workers(client)
        started = time.monotonic()
        try:
            build_partitioned_features(academies, AS_OF_DATES, dataset, client=client)
        finally:
            assert time.monotonic() - started < 60  # failed, not waiting for a worker

    assert ended.value.exit_code == 1
    assert "has no worker left to run the job" in _plain(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_the_training_waits_for_a_worker_then_fails_as_a_task_without_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The académies' rows are placed on the workers listed when a booster starts: with none
    listed (a worker being restarted) the training waits for one, then fails with Dask's
    `NoWorkerError` (worded by the commands), not a division by zero."""
    from distributed.scheduler import NoWorkerError

    import features.cluster
    from training.cluster_fit import _workers

    monkeypatch.setattr(features.cluster, "NO_WORKERS_TIMEOUT", "2s")
    with cluster_client(LocalWorkers(1)) as client:
        assert client is not None
        assert len(_workers(client)) == 1
        _without_workers(client)
        started = time.monotonic()
        with pytest.raises(NoWorkerError):
            _workers(client)
        assert time.monotonic() - started < 30
