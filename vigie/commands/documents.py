"""The printable documents: `vigie notice` (the notice to a student and their family) and
`vigie model-card` (the model card). Both act as a user of the store (`--user`): the notice
as the student's own watch unit, the card as an inspector or a data scientist; each read is
checked and audited by the service layer like the dashboard's. The file is written whole
(a temporary file renamed), never half."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigie.commands.common import console, language_of, parse_date
from vigie.commands.store_access import acting_user, open_settings_store, refusals

__all__ = ["model_card", "notice", "register"]

UserOption = Annotated[
    str, typer.Option("--user", help="The store user acting (its role and scope apply).")
]
OutOption = Annotated[Path, typer.Option("--out", help="HTML file to write.")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the document: fr or en.")]

_WRITTEN = {"fr": "Écrit : {path}", "en": "Written: {path}"}


def write_whole(path: Path, content: str) -> None:
    """`content` to `path` in UTF-8, atomically (`features.store.atomic_file`)."""
    from features.store import atomic_file

    with atomic_file(path) as temporary:
        Path(temporary).write_text(content, encoding="utf-8")


def notice(
    student: Annotated[str, typer.Option("--student", help="Pseudonymous student id.")],
    as_of: Annotated[str, typer.Option("--as-of", help="A date of the list's week (YYYY-MM-DD).")],
    out: OutOption,
    user: UserOption,
    lang: LangOption = "fr",
) -> None:
    """Write the notice to a student and their family about the week's list: that an
    algorithm suggested and a person decided, the data used, the main factors and their
    weight, the model version and date, how to ask questions and object. Audited."""
    from serving.documents.notice_html import contacts_of, notice_html
    from serving.services.notice import issue_notice
    from settings import load_settings

    language = language_of(lang)
    date = parse_date(as_of)
    with refusals():
        store = open_settings_store()
    try:
        with refusals():
            issued = issue_notice(store, acting_user(store, user), student, date)
    finally:
        store.dispose()
    write_whole(out, notice_html(issued, language, contacts_of(load_settings().notice)))
    console.print(_WRITTEN[language].format(path=out), markup=False)


def model_card(
    out: OutOption,
    user: UserOption,
    model: Annotated[
        str, typer.Option("--model", help="Registered version: a number or an alias.")
    ] = "champion",
    lang: LangOption = "fr",
) -> None:
    """Write the model card of a registered version: intended use, data, metrics with
    their intervals, fairness results, limits."""
    from app_dashboard.model_card_document import gather_model_card, model_card_html
    from models.registry import registry_client
    from settings import load_settings

    language = language_of(lang)
    settings = load_settings()
    with refusals():
        store = open_settings_store()
    try:
        with refusals():
            client = registry_client(settings.tracking_uri)
            card = gather_model_card(store, acting_user(store, user), client, settings.model_name,
                                     model)  # fmt: skip
    finally:
        store.dispose()
    write_whole(out, model_card_html(card, language))
    console.print(_WRITTEN[language].format(path=out), markup=False)


def register(app: typer.Typer) -> None:
    """Add the commands to `app`."""
    app.command("notice")(notice)
    app.command("model-card")(model_card)
