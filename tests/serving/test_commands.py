"""`vigie db upgrade` and `vigie users ...` as an operator runs them: one user of each role,
the token printed once and alone on stdout, secrets never stored in clear."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from serving.db import Store, head_revision
from serving.services import authenticate_password, authenticate_token
from vigie.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    monkeypatch.setenv("VIGIE_USER", "tester")
    return tmp_path


def invoke(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


def test_help_lists_the_serving_commands() -> None:
    result = invoke("--help")
    for command in ("db", "users", "api"):
        assert command in result.stdout
    assert "add" in invoke("users", "--help").stdout


def test_db_upgrade_creates_the_store_under_home(home: Path) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.stdout
    assert (home / "serving" / "vigie.sqlite3").is_file()


def test_one_user_of_each_role(home: Path) -> None:
    tokens = {}
    for username, role, extra in [
        ("cpe.anne-de-bretagne", "watch_unit", ["-e", "0350023K", "-e", "0350024L"]),
        ("ien.rennes", "inspector", []),
        ("ds.academie", "data_scientist", []),
        ("admin", "admin", []),
    ]:
        result = invoke("users", "add", username, "--role", role, *extra)
        assert result.exit_code == 0, result.output
        tokens[username] = result.stdout.strip()
        assert tokens[username].startswith("vigie_")
        assert tokens[username] not in result.stderr
        assert "shown once" in result.stderr
    store = Store.from_url(f"sqlite:///{home / 'serving' / 'vigie.sqlite3'}")
    try:
        actor = authenticate_token(store, tokens["cpe.anne-de-bretagne"])
        assert actor.establishments == {"0350023K", "0350024L"}
        assert authenticate_token(store, tokens["ds.academie"]).role == "data_scientist"
    finally:
        store.dispose()
    listed = json.loads(invoke("users", "list", "--json").stdout)
    assert [user["username"] for user in listed] == sorted(tokens)
    table = invoke("users", "list").stdout
    database = (home / "serving" / "vigie.sqlite3").read_bytes()
    for token in tokens.values():
        secret = token.split("_", 2)[2]
        assert secret not in table and secret not in json.dumps(listed)
        assert secret.encode() not in database


def test_password_from_stdin_is_hashed(home: Path) -> None:
    result = invoke(
        "users",
        "add",
        "principal",
        "--role",
        "watch_unit",
        "-e",
        "0350023K",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert b"a long enough password" not in (home / "serving" / "vigie.sqlite3").read_bytes()
    store = Store.from_url(f"sqlite:///{home / 'serving' / 'vigie.sqlite3'}")
    try:
        assert authenticate_password(store, "principal", "a long enough password").role == (
            "watch_unit"
        )
    finally:
        store.dispose()


def test_disable_and_renew(home: Path) -> None:
    first = invoke("users", "add", "ien", "--role", "inspector").stdout.strip()
    renewed = invoke("users", "token", "ien", "--token-days", "7")
    assert renewed.exit_code == 0
    assert renewed.stdout.strip() != first
    assert invoke("users", "disable", "ien").exit_code == 0
    assert json.loads(invoke("users", "list", "--json").stdout)[0]["disabled"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "x1", "--role", "watch_unit"], "at least one establishment"),
        (["users", "add", "x1", "--role", "root"], "role"),
        (["users", "add", "x1", "--role", "inspector", "-e", "0350023K"], "whole académie"),
        (["users", "disable", "nobody"], "no user nobody"),
    ],
)
def test_refusals_exit_1_with_the_reason(home: Path, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_duplicate_user_is_refused(home: Path) -> None:
    assert invoke("users", "add", "ien", "--role", "inspector").exit_code == 0
    result = invoke("users", "add", "ien", "--role", "inspector")
    assert result.exit_code == 1
    assert "already exists" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VIGIE_DATABASE_URL", "nonsense://x", "The store cannot be used"),
        ("VIGIE_MAX_BODY_BYTES", "lots", "Invalid setting"),
    ],
)
def test_a_bad_store_setting_is_a_message_not_a_traceback(
    home: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    for args in (["db", "upgrade"], ["users", "list"], ["api"]):
        result = invoke(*args)
        assert result.exit_code == 1, result.output
        assert message in result.stderr
        assert "Traceback" not in result.output


@pytest.mark.slow
def test_vigie_api_serves_on_loopback(home: Path) -> None:
    """`vigie api` as a user starts it: migrates the store, serves /health and the docs."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    vigie = Path(sys.executable).with_name("vigie")
    server = subprocess.Popen(
        [str(vigie), "api", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "VIGIE_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "vigie api did not start"
                time.sleep(0.3)
        assert health.json()["schema_current"] is True
        assert httpx.get(f"http://127.0.0.1:{port}/v1/me").status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
    assert (home / "serving" / "vigie.sqlite3").is_file()
