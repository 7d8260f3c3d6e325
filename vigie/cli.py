"""The `vigie` command: one entry point that dispatches to every job.

Each command only parses its options and calls a function of the packages; errors a user can
fix (an invalid extraction, a bad option) end with a clear message and a non-zero exit code,
never a traceback. The commands live in `vigie.commands`, one module per area.
"""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from vigie import __version__
from vigie.commands import (
    audit,
    audit_log,
    dashboard,
    data,
    documents,
    explain,
    interview_outcomes,
    interviews,
    leavers,
    monitor,
    retention,
    score,
    serving,
    stop_switch,
    training,
)
from vigie.commands.common import console, error_console

__all__ = ["app", "main"]

app = typer.Typer(
    name="vigie",
    help="Vigie: early warning against school dropout, for each establishment's watch unit (GPDS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        console.print(f"vigie {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress.")] = False,
) -> None:
    """Vigie turns the records a school keeps into a weekly list of students to invite."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # MLflow logs at INFO on its own handler (store creation, migrations) unless told otherwise.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    # A bad setting stops every command at start, naming its variable.
    from settings import SettingsError, load_settings

    try:
        load_settings()
    except SettingsError as error:
        error_console.print(str(error), style="red", markup=False)
        raise typer.Exit(1) from None


data.register(app)
training.register(app)
explain.register(app)
audit.register(app)
audit_log.register(app)
serving.register(app)
score.register(app)
monitor.register(app)
dashboard.register(app)
documents.register(app)
leavers.register(app)
stop_switch.register(app)
retention.register(app)
interviews.register(app)
interview_outcomes.register(app)


def main() -> None:
    app()
