"""`--cluster tls://HOST:PORT`: a scheduler that speaks TLS, reached with the certificates
Dask's configuration names, and a clear refusal when they are missing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import dask
import pytest
from distributed import LocalCluster
from distributed.security import Security
from typer.testing import CliRunner

from features.cluster import TLS_SETTINGS, connect, parse_cluster, run_tasks
from features.partitioned_features import FEATURE_FILE
from features.pipeline import stream_feature_file
from tests.cluster.conftest import AS_OF_DATES
from vigie.cli import app

runner = CliRunner()


def _plain(output: str) -> str:
    """The output's words, without rich's box and line breaks."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())


def _double(value: int) -> int:
    return 2 * value


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A one-worker local cluster speaking TLS only (temporary self-signed certificates), and
    the Dask configuration of a client holding the certificates, as files."""
    security = Security.temporary()
    folder = tmp_path_factory.mktemp("tls")
    files = {}
    for name in ("tls_ca_file", "tls_client_cert", "tls_client_key"):
        path = folder / f"{name}.pem"
        path.write_text(getattr(security, name))
        files[name] = str(path)
    client_config = {
        "distributed.comm.tls.ca-file": files["tls_ca_file"],
        "distributed.comm.tls.client.cert": files["tls_client_cert"],
        "distributed.comm.tls.client.key": files["tls_client_key"],
    }
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        protocol="tls",
        security=security,
        host="127.0.0.1",
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
    ) as cluster:
        assert cluster.scheduler_address.startswith("tls://")
        yield cluster.scheduler_address, client_config


def test_the_configuration_keys_checked_are_the_ones_a_client_needs() -> None:
    assert set(TLS_SETTINGS) == {
        "distributed.comm.tls.ca-file",
        "distributed.comm.tls.client.cert",
        "distributed.comm.tls.client.key",
    }


def test_a_tls_scheduler_runs_tasks_with_the_client_certificates(
    tls_cluster: tuple[str, dict[str, str]],
) -> None:
    address, client_config = tls_cluster
    with dask.config.set(client_config), connect(parse_cluster(address)) as client:
        assert sorted(run_tasks(client, _double, [(1,), (2,)], ["a", "b"])) == [2, 4]


def test_vigie_features_on_a_tls_scheduler_gives_the_single_machine_bytes(
    tls_cluster: tuple[str, dict[str, str]], academies: Path, tmp_path: Path
) -> None:
    address, client_config = tls_cluster
    out = tmp_path / "f"
    with dask.config.set(client_config):
        result = runner.invoke(
            app,
            ["features", "--data", str(academies), "--as-of", AS_OF_DATES[0].isoformat(),
             "--out", str(out), "--cluster", address, "-q"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    single = tmp_path / "single.parquet"
    stream_feature_file(academies / "academie=Rennes", AS_OF_DATES[:1], single)
    assert (out / "academie=Rennes" / FEATURE_FILE).read_bytes() == single.read_bytes()


def test_without_the_certificates_the_job_names_the_variables_to_set(
    tls_cluster: tuple[str, dict[str, str]], academies: Path, tmp_path: Path
) -> None:
    address, _ = tls_cluster
    empty = {key: None for key in TLS_SETTINGS}
    with dask.config.set(empty):
        result = runner.invoke(
            app,
            ["features", "--data", str(academies), "--as-of", AS_OF_DATES[0].isoformat(),
             "--out", str(tmp_path / "f"), "--cluster", address, "-q"],
        )  # fmt: skip
    assert result.exit_code == 1
    output = _plain(result.output)
    assert f"Cannot use the Dask cluster {address}" in output
    for variable in TLS_SETTINGS.values():
        assert variable in output
    assert list(tmp_path.iterdir()) == []
