"""Progress of long commands on the command line: a bar on a terminal, plain lines elsewhere.

A command opens one reporter (`reporting`) and passes it down to the library code, which
knows only `features.progress` (the stages, their wording, the `Progress` protocol and the
silent reporter). What the reporter shows depends on where stderr goes:

- a terminal: a rich bar per stage (spinner, wording, bar, done/total, elapsed time);
- anything else (a log file, CI): one plain line per stage, nothing per advance;
- `--quiet`: nothing at all (errors are printed by the commands, on stderr, as before).

Progress goes to stderr, so stdout stays parseable (`--json`). Stage names are keys of
`features.progress.STAGE_WORDING`, worded in French (default) or English; a stage line holds
the stage's wording and counts only, never a student's name or id.

The reporter of the running command is also context-local: a command called by another
(`vigie demo` runs `vigie train` and `vigie score`) reuses the caller's reporter, so the
stages follow one another in one display.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

from features.progress import SILENT, Progress, SilentProgress, stage_text

__all__ = [
    "BarProgress",
    "LineProgress",
    "current_progress",
    "make_progress",
    "reporting",
]

Language = Literal["fr", "en"]


class LineProgress:
    """One plain line per stage on a stream that is not a terminal (logs, CI)."""

    def __init__(self, console: Console, language: Language = "fr") -> None:
        self._console = console
        self._language = language

    def stage(self, name: str, total: int | None = None) -> None:
        stream = self._console.file
        stream.write(stage_text(name, self._language, total) + "\n")
        stream.flush()

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class BarProgress:
    """A rich progress display on a terminal: a line per stage, the current one with its bar.

    Started at the first stage; finished stages stay on screen with their time. While it
    runs, what the command prints to stdout goes above it when stdout is the terminal too."""

    def __init__(self, console: Console, language: Language = "fr") -> None:
        self._console = console
        self._language = language
        self._display: RichProgress | None = None
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        text = stage_text(name, self._language, total)
        display = self._display or self._start()
        self._finish_task()
        self._task = display.add_task(text, total=total, counted=total is not None)

    def advance(self, n: int = 1) -> None:
        if self._display is not None and self._task is not None:
            self._display.advance(self._task, n)

    def close(self) -> None:
        if self._display is None:
            return
        self._finish_task()
        self._display.stop()
        self._display = None

    def _start(self) -> RichProgress:
        self._display = RichProgress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description}"),
            BarColumn(),
            _DoneColumn(),
            TimeElapsedColumn(),
            console=self._console,
            redirect_stdout=sys.stdout.isatty(),  # else stdout is a file or a pipe: leave it
            redirect_stderr=True,
        )
        self._display.start()
        return self._display

    def _finish_task(self) -> None:
        """Mark the current stage done: a stage without a total fills its bar; one stopped
        short (a search ended by its timeout) shows what it did."""
        if self._display is None or self._task is None:
            return
        task = next(task for task in self._display.tasks if task.id == self._task)
        done = int(task.completed) if task.total is not None else 1
        self._display.update(self._task, total=done, completed=done)
        self._task = None


class _DoneColumn(ProgressColumn):
    """`done/total` for a stage with a total, nothing otherwise."""

    def render(self, task: Task) -> Text:
        if task.total is None or not task.fields.get("counted"):
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,}", style="progress.download")


def make_progress(
    quiet: bool = False, language: str = "fr", console: Console | None = None
) -> SilentProgress | LineProgress | BarProgress:
    """The reporter for `console` (default: stderr): silent, plain lines or a bar."""
    stage_text("validate", language)  # refuses an unknown language up front
    if quiet:
        return SILENT
    console = console or Console(stderr=True)
    lang: Language = "fr" if language == "fr" else "en"
    if console.is_terminal and not console.is_dumb_terminal:
        return BarProgress(console, lang)
    return LineProgress(console, lang)


_CURRENT: ContextVar[SilentProgress | LineProgress | BarProgress | None] = ContextVar(
    "vigie_progress", default=None
)


def current_progress() -> Progress:
    """The reporter of the running command (silent outside any)."""
    return _CURRENT.get() or SILENT


@contextmanager
def reporting(
    quiet: bool = False, language: str = "fr", console: Console | None = None
) -> Iterator[Progress]:
    """The command's reporter, closed (its display stopped) on the way out. Inside another
    command's reporting, that reporter is reused, whatever `quiet` and `language` say."""
    active = _CURRENT.get()
    if active is not None:
        yield active
        return
    reporter = make_progress(quiet, language, console)
    token = _CURRENT.set(reporter)
    try:
        yield reporter
    finally:
        _CURRENT.reset(token)
        reporter.close()
