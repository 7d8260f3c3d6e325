"""A throwaway PostgreSQL server for the store's tests: `VIGIE_DATABASE_URL` pointed at
PostgreSQL must work as the embedded SQLite file does.

The server is the distribution's (`make test` installs Debian's `postgresql` when it is
missing): `initdb` into a temporary folder, then `pg_ctl start` listening on a Unix socket
only (no TCP port), trust authentication for its own user. As root, PostgreSQL refuses to
run, so the cluster is made and run by the `postgres` system user. Every test gets a fresh
database of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving.conftest import live_server  # noqa: F401  (the API server fixture)

SUPERUSER = "vigie"
PORT = 5499  # only names the socket file: the server listens on no TCP port


def _bindir() -> Path:
    """The folder of `initdb` and `pg_ctl`: PATH first, then Debian's versioned folders."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not candidates:
        raise RuntimeError(
            "PostgreSQL's server programs (initdb, pg_ctl) were not found: `make test` "
            "installs Debian's postgresql package; or put its bin folder on PATH"
        )
    return Path(candidates[-1]).parent


@dataclass(frozen=True)
class Server:
    socket_dir: Path
    run_as: list[str]
    bindir: Path
    _counter: itertools.count

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.socket_dir}&port={PORT}"

    def new_database(self) -> str:
        """A fresh empty database; its SQLAlchemy URL."""
        name = f"vigie_test_{next(self._counter)}"
        self._run("createdb", "-h", str(self.socket_dir), "-p", str(PORT), "-U", SUPERUSER, name)
        return self.url(name)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / program), *args],
            check=True, capture_output=True, text=True,
        )  # fmt: skip


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    bindir = _bindir()
    # Under /tmp rather than tmp_path: pytest's folders are private to their owner, and the
    # server runs as another user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="vigie-postgres-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (root, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    server = Server(sockets, run_as, bindir, itertools.count())

    def run(program: str, *args: str) -> None:
        result = subprocess.run(
            [*run_as, str(bindir / program), *args], capture_output=True, text=True
        )
        if result.returncode:
            detail = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{program} failed: {result.stderr}{result.stdout}\n{detail}")

    run("initdb", "-D", str(data), "-U", SUPERUSER, "-A", "trust", "--no-sync", "-E", "UTF8")
    options = f"-k {sockets} -p {PORT} -c listen_addresses='' -c fsync=off"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
    try:
        yield server
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
