"""`vigie leavers`: the students who left the establishments of an MLDS user's bassin without
a solution, as of a date. It acts as a user of the store (`--user`, role `mlds`): the same
service as the API's and the dashboard's (`serving.services.leavers`), the read checked and
audited; the extraction is the one the latest week written on or before the date recorded."""

from __future__ import annotations

from typing import Annotated

import typer

from vigie.commands.common import console, language_of, parse_date
from vigie.commands.documents import LangOption, UserOption
from vigie.commands.store_access import acting_user, open_settings_store, refusals

__all__ = ["leavers", "register"]


def leavers(
    as_of: Annotated[str, typer.Option("--as-of", help="The date of the list (YYYY-MM-DD).")],
    user: UserOption,
    establishment: Annotated[
        list[str] | None,
        typer.Option(
            "--establishment", "-e", help="UAI of your bassin to read (repeatable; default all)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    lang: LangOption = "fr",
) -> None:
    """List the students who left your bassin without the minimum qualification in the
    twelve months up to the date, enrolled nowhere since: last establishment, level, date of
    leaving, age, failed exams, interview and its outcome, MLDS contacts. Audited."""
    from rich.table import Table

    from app_dashboard.leavers_tables import display_leavers, leavers_frame
    from app_dashboard.wording import text
    from serving.services.leavers import get_leavers

    language = language_of(lang)
    date = parse_date(as_of)
    with refusals():
        store = open_settings_store()
    try:
        with refusals():
            view = get_leavers(store, acting_user(store, user), date, tuple(establishment or ()))
    finally:
        store.dispose()
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    shown = display_leavers(leavers_frame(view), language)
    table = Table(text("leavers_csv_student_id", language), *shown.columns)
    for student_id, row in zip((v.student_id for v in view.leavers), shown.itertuples(index=False),
                               strict=True):  # fmt: skip
        table.add_row(student_id, *(str(cell) for cell in row))
    console.print(text("page_leavers", language), markup=False)
    console.print(text("leavers_week", language, week=view.week.strftime("%d/%m/%Y")), markup=False)
    console.print(table)
    console.print(text("leavers_count", language, count=len(view.leavers)), markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command("leavers")(leavers)
