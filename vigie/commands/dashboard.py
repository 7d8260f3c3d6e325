"""`vigie dashboard`: serve the Streamlit dashboard (watch units, inspectors, data scientists).

It runs `streamlit run app_dashboard/streamlit_app.py` in this Python (through
`app_dashboard.serve`, which does the pages' imports before the server starts), on loopback by
default, with Streamlit's usage statistics off (the dashboard shows minors' data: no
outbound call it does not need). The store, the extraction, the feature files and MLflow
are found through the usual VIGIE_ settings (`app_dashboard.settings`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Annotated

import typer

__all__ = ["dashboard", "register", "streamlit_command"]


def streamlit_command(host: str, port: int, headless: bool = True) -> list[str]:
    """The command line that serves the dashboard: `streamlit run` of the entry file,
    through `app_dashboard.serve`, which does the pages' imports and opens MLflow's stores
    before the server starts."""
    return [
        sys.executable, "-m", "app_dashboard.serve",
        "--server.address", host, "--server.port", str(port),
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip


def dashboard(
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8501,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open a browser tab once it serves.")
    ] = False,
) -> None:
    """Serve the dashboard (sign in with a user made by `vigie users add --password`)."""
    from serving.db import open_store
    from settings import load_settings

    settings = load_settings()
    store = open_store(settings.resolved_database_url)  # migrate first
    store.dispose()
    typer.echo(f"Vigie dashboard on http://{host}:{port} (Ctrl+C to stop)", err=True)
    # Streamlit's uvicorn takes X-Forwarded-For from FORWARDED_ALLOW_IPS (by default any
    # loopback peer): only from the proxies VIGIE_TRUSTED_PROXIES names (none by default).
    environment = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "FORWARDED_ALLOW_IPS": settings.serving.trusted_proxies,
    }
    command = streamlit_command(host, port, headless=not open_browser)
    raise typer.Exit(subprocess.call(command, env=environment))


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command()(dashboard)
