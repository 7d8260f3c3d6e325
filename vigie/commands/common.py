"""What every command module shares: consoles, date parsing, turning user errors into exits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

__all__ = ["console", "error_console", "parse_date", "user_errors"]

console = Console()
error_console = Console(stderr=True)


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn errors a user can fix into a message and exit code 1 (no traceback)."""
    from features.extraction import ExtractionReadError
    from features.validation import InvalidExtractionError, render_report

    try:
        yield
    except InvalidExtractionError as error:
        error_console.print(render_report(error.report))
        error_console.print("[red]The extraction is invalid: nothing was written.[/red]")
        raise typer.Exit(1) from None
    except (ExtractionReadError, FileNotFoundError, ValueError) as error:
        error_console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
