"""X-Forwarded-For names the client (whose failed sign-ins are throttled) only from the
proxies VIGIE_TRUSTED_PROXIES names: none by default, for the API and the dashboard alike
(uvicorn's own default trusts it from any loopback peer)."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from vigie.commands import dashboard, serving


def cli() -> typer.Typer:
    app = typer.Typer()
    serving.register(app)
    dashboard.register(app)
    return app


@pytest.mark.parametrize("proxies", ["", "10.0.0.5,10.0.0.6"])
def test_the_api_trusts_forwarded_headers_only_from_the_named_proxies(
    monkeypatch: pytest.MonkeyPatch, tmp_path, proxies: str
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.setenv("VIGIE_TRUSTED_PROXIES", proxies)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    result = CliRunner().invoke(cli(), ["api"])
    assert result.exit_code == 0, result.output
    [options] = calls
    assert options["proxy_headers"] is bool(proxies)
    assert options["forwarded_allow_ips"] == proxies


@pytest.mark.parametrize("proxies", ["", "10.0.0.5"])
def test_the_dashboard_trusts_forwarded_headers_only_from_the_named_proxies(
    monkeypatch: pytest.MonkeyPatch, tmp_path, proxies: str
) -> None:
    import subprocess

    environments: list[dict[str, str]] = []
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.setenv("VIGIE_TRUSTED_PROXIES", proxies)

    def call(command: list[str], env: dict[str, str]) -> int:
        environments.append(env)
        return 0

    monkeypatch.setattr(subprocess, "call", call)
    result = CliRunner().invoke(cli(), ["dashboard"])
    assert result.exit_code == 0, result.output
    assert environments[0]["FORWARDED_ALLOW_IPS"] == proxies
