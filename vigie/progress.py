"""Progress of long commands: their stages, and a bar on a terminal.

A command opens one reporter (`reporting`) and passes it down; the code doing the work calls
`stage(name, total)` when a stage starts and `advance(n)` as it goes, and never prints. Pure
data code (the feature builder, the synthetic generator) receives `advance` alone, as a
callback. What the reporter shows depends on where stderr goes:

- a terminal: a rich bar per stage (spinner, wording, bar, done/total, elapsed time);
- anything else (a log file, CI): one plain line per stage, nothing per advance;
- `--quiet`: nothing at all (errors are printed by the commands, on stderr, as before).

Progress goes to stderr, so stdout stays parseable (`--json`). Stage names are keys of
`STAGE_WORDING`, worded in French (default) or English; a stage line holds the stage's
wording and counts only, never a student's name or id.

The reporter of the running command is also context-local: a command called by another
(`vigie demo` runs `vigie train` and `vigie score`) reuses the caller's reporter, so the
stages follow one another in one display.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, Protocol

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

__all__ = [
    "SILENT",
    "STAGE_WORDING",
    "BarProgress",
    "LineProgress",
    "Progress",
    "SilentProgress",
    "current_progress",
    "make_progress",
    "reporting",
    "stage_text",
]

Language = Literal["fr", "en"]

# Stage keys and their wording (French, English). `{total}` is the stage's total, and `{s}` the
# plural's "s" (none for 1, nor for 0 in French).
STAGE_WORDING: dict[str, tuple[str, str]] = {
    # data
    "synth_years": (
        "Simulation de {total} année{s} scolaire{s}",
        "Simulating {total} school year{s}",
    ),
    "synth_tables": ("Assemblage des tables", "Assembling the tables"),
    "synth_write": ("Écriture de l'extraction", "Writing the extraction"),
    "validate": ("Validation de l'extraction", "Validating the extraction"),
    "features": (
        "Validation de l'extraction et variables à {total} date{s}",
        "Validating the extraction and building features at {total} date{s}",
    ),
    "demo_features": (
        "Validation de l'extraction et variables des {total} semaine{s} de démonstration",
        "Validating the extraction and building the features of the {total} demo week{s}",
    ),
    "demo_weeks": (
        "Listes des {total} semaine{s} de démonstration et décisions simulées",
        "Lists of the {total} demo week{s} and simulated decisions",
    ),
    # training
    "snapshots": ("Instantanés à {total} date{s}", "Snapshots at {total} date{s}"),
    "folds": (
        "Entraînement et test de {total} découpage{s}",
        "Training and testing {total} split{s}",
    ),
    "compare": ("Comparaison des modèles", "Comparing the models"),
    "final_fit": ("Entraînement du modèle final", "Fitting the final model"),
    "replay": ("Rejeu de l'année testée", "Replaying the tested year"),
    "log_run": (
        "Enregistrement du run (explications globales, graphiques, modèle)",
        "Logging the run (global explanations, plots, model)",
    ),
    "fairness": ("Audit d'équité des listes testées", "Fairness audit of the tested lists"),
    "register": ("Inscription du modèle au registre", "Registering the model"),
    "trials": (
        "Recherche de paramètres\u00a0: {total} essai{s} (Optuna)",
        "Parameter search: {total} trial{s} (Optuna)",
    ),
    "evaluate_read": ("Lecture du run", "Reading the run"),
    "evaluate_recompute": (
        "Recalcul du tableau de comparaison",
        "Recomputing the comparison table",
    ),
    "promote": ("Promotion du modèle champion", "Promoting the champion model"),
    # fairness audit of a logged run
    "audit": (
        "Reconstruction des lignes testées et audit d'équité",
        "Rebuilding the tested rows and auditing fairness",
    ),
    "audit_log": ("Enregistrement de l'audit dans le run", "Logging the audit to the run"),
    "audit_report": ("Écriture du rapport", "Writing the report"),
    # weekly scoring and explanations (the scoring keys are `serving.scoring.STAGES`)
    "model": ("Chargement du modèle", "Loading the model"),
    "week_features": ("Variables de la semaine", "Features of the week"),
    "predict": ("Calcul des risques", "Computing the risks"),
    "explain lists": ("Explication des listes", "Explaining the lists"),
    "store write": ("Écriture des listes de la semaine", "Writing the week's lists"),
    "student_features": (
        "Validation de l'extraction et variables de l'élève",
        "Validating the extraction and building the student's features",
    ),
    "reasons": ("Calcul des raisons", "Computing the reasons"),
    "demo_users": ("Comptes de démonstration", "Demo accounts"),
}


def stage_text(name: str, language: str, total: int | None = None) -> str:
    """The wording of stage `name` in `language`; unknown stages and languages are refused."""
    if language not in ("fr", "en"):
        raise ValueError(f"language must be fr or en, not {language!r}")
    try:
        french, english = STAGE_WORDING[name]
    except KeyError:
        raise ValueError(f"unknown progress stage {name!r}") from None
    wording = french if language == "fr" else english
    if "{total}" in wording:
        if total is None:
            raise ValueError(f"progress stage {name!r} needs its total")
        separator = "\u202f" if language == "fr" else ","  # 1 234 / 1,234
        singular = total in (0, 1) if language == "fr" else total == 1
        return wording.format(
            total=f"{total:,}".replace(",", separator), s="" if singular else "s"
        )
    return wording


class Progress(Protocol):
    """What long-running code reports to: a stage starts, work within it advances."""

    def stage(self, name: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class SilentProgress:
    """Reports nothing (`--quiet`, and the default of library code)."""

    def stage(self, name: str, total: int | None = None) -> None:
        stage_text(name, "fr", total)  # a wrong stage fails the same with --quiet

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


SILENT = SilentProgress()


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
