"""What every command module shares: consoles, date parsing, turning user errors into exits,
the progress options."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from features.progress import Progress
from vigie.progress import Language, reporting

__all__ = [
    "LangOption",
    "QuietOption",
    "console",
    "error_console",
    "language_of",
    "one_of",
    "parse_date",
    "progress_for",
    "user_errors",
]

# A terminal gets its own width; a log or a file (CI, `> out.txt`) gets 160 columns, so that
# the comparison tables are not cut at rich's default of 80.
console = Console(width=None if sys.stdout.isatty() else 160)
error_console = Console(stderr=True)

QuietOption = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress on stderr (errors are still printed)."),
]
LangOption = Annotated[
    str,
    typer.Option("--lang", envvar="VIGIE_LANG", help="Language of the progress stages: fr or en."),
]


Choice = TypeVar("Choice", bound=str)


def one_of(value: str, choices: tuple[Choice, ...], option: str) -> Choice:
    """`value` as one of `choices` (typed as their literals), or a usage error naming
    `option` and the choices."""
    for choice in choices:
        if value == choice:
            return choice
    raise typer.BadParameter(f"{option} must be {' or '.join(choices)}")


def language_of(lang: str) -> Language:
    """The `--lang` option's value, checked."""
    return one_of(lang, ("fr", "en"), "--lang")


def progress_for(quiet: bool, lang: str) -> AbstractContextManager[Progress]:
    """The command's progress reporter on stderr (`vigie.progress.reporting`): a bar on a
    terminal, one line per stage elsewhere, nothing with --quiet."""
    return reporting(quiet, language_of(lang), error_console)


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
    except (ExtractionReadError, FileNotFoundError, FileExistsError, ValueError) as error:
        error_console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
