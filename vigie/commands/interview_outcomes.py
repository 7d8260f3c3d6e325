"""`vigie interview-outcomes`: what became of the students interviewed, per establishment and
per solution proposed, read in a later extraction's enrollments
(`serving.services.interview_outcomes`). Acts as a store user (`--user`): an inspector reads
every establishment, a watch unit its own; aggregated counts only, small ones masked; the
read is audited like the dashboard's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigie.commands.common import console, language_of, user_errors
from vigie.commands.documents import UserOption
from vigie.commands.store_access import acting_user, open_settings_store, refusals

__all__ = ["interview_outcomes", "register"]


def interview_outcomes(
    user: UserOption,
    extraction: Annotated[
        Path | None,
        typer.Option(
            "--extraction",
            help="A later extraction whose enrollments tell what became of the students "
            "(default: VIGIE_OUTCOMES_EXTRACTION).",
        ),
    ] = None,
    establishment: Annotated[
        str | None,
        typer.Option(
            "--establishment",
            help="One establishment (UAI); default: every one in the user's scope.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    lang: Annotated[
        str, typer.Option("--lang", envvar="VIGIE_LANG", help="Language: fr or en.")
    ] = "fr",
) -> None:
    """Report the outcomes of the interviews held (still enrolled, back in training, left,
    unknown) per establishment and per solution proposed, from a later extraction."""
    from app_dashboard.outcome_tables import outcome_table
    from app_dashboard.wording import text
    from features.jsonio import dumps
    from serving.services.interview_outcomes import get_interview_outcomes
    from settings import load_settings
    from training.later_records import read_later_enrollments

    language = language_of(lang)
    folder = extraction or load_settings().monitoring.outcomes_extraction
    if folder is None:
        raise typer.BadParameter("give --extraction (or set VIGIE_OUTCOMES_EXTRACTION)")
    with user_errors():
        later = read_later_enrollments(folder)
    with refusals():
        store = open_settings_store()
    try:
        with refusals():
            report = get_interview_outcomes(store, acting_user(store, user), later.enrollments,
                                            later.as_of, establishment)  # fmt: skip
    finally:
        store.dispose()
    if as_json:
        typer.echo(dumps(report.to_dict(), indent=2))
        return
    from wording.numbers import day

    console.print(text("outcomes_title_cli", language, as_of=day(report.as_of, language),
                       interviews=report.interviews), markup=False)  # fmt: skip
    for title, frame, by in (
        ("outcomes_by_establishment", report.by_establishment, "uai"),
        ("outcomes_by_solution", report.by_solution, "solution"),
    ):
        console.print("\n" + text(title, language), markup=False)
        if frame.empty:
            console.print(text("outcomes_none", language), markup=False)
            continue
        table = outcome_table(frame, by, language)
        console.print(table.to_string(index=False), markup=False)
    console.print("\n" + text("outcomes_descriptive", language).replace("`", ""), markup=False)
    if "elsewhere" in report.by_establishment.columns:
        console.print(text("outcomes_elsewhere", language), markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command("interview-outcomes")(interview_outcomes)
