"""`vigie dashboard`: serve the Streamlit dashboard (watch units, inspectors, data scientists).

The store is migrated first, then `app_dashboard.serve.serve` runs the server (on loopback by
default, usage statistics off, the pages' imports done before it listens). The store, the
extraction, the feature files and MLflow are found through the usual VIGIE_ settings
(`settings`, its dashboard section).
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["dashboard", "register"]


def dashboard(
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8501,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open a browser tab once it serves.")
    ] = False,
) -> None:
    """Serve the dashboard (sign in with a user made by `vigie users add --password`)."""
    from app_dashboard.serve import serve
    from serving.db import open_store
    from settings import load_settings

    settings = load_settings()
    store = open_store(settings.resolved_database_url)  # migrate first
    store.dispose()
    typer.echo(f"Vigie dashboard on http://{host}:{port} (Ctrl+C to stop)", err=True)
    # X-Forwarded-For only from the proxies VIGIE_TRUSTED_PROXIES names (none by default).
    code = serve(
        host, port, headless=not open_browser, trusted_proxies=settings.serving.trusted_proxies
    )
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command()(dashboard)
