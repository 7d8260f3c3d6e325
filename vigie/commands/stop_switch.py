"""The stop switch: `vigie suspend`, `vigie resume` and `vigie suspensions`. Each calls the
service function the admin's dashboard page calls (`serving.services.suspensions`), as the
local operator (an admin); every suspension and resumption is audited with the operator and
the reason. While suspended, an establishment's lists are not served (API 503 with the
reason, the dashboard says why); the weekly run still computes and stores them."""

from __future__ import annotations

from typing import Annotated

import typer

from features.jsonio import dumps
from vigie.commands.common import LangOption, console, language_of
from vigie.commands.store_access import as_operator

__all__ = ["register"]

AllOption = Annotated[bool, typer.Option("--all", help="Every establishment of the académie.")]
EstablishmentOption = Annotated[
    str | None, typer.Option("--establishment", "-e", help="One establishment, by UAI.")
]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (shown to the users, written to the audit log).")
]

_MESSAGES = {
    "suspended": (
        "Listes suspendues ({scope}) : elles ne sont plus servies ; le calcul hebdomadaire "
        "continue de les enregistrer.",
        "Lists suspended ({scope}): they are no longer served; the weekly run still stores them.",
    ),
    "resumed": (
        "Listes reprises ({scope}) : les semaines enregistrées sont de nouveau servies.",
        "Lists resumed ({scope}): the stored weeks are served again.",
    ),
    "all": ("tous les établissements", "every establishment"),
    "none": ("Aucune suspension.", "No suspension."),
}


def _say(key: str, lang: str, **values: str) -> str:
    french, english = _MESSAGES[key]
    return (french if language_of(lang) == "fr" else english).format(**values)


def _scope(all_: bool, establishment: str | None) -> str | None:
    if all_ == (establishment is not None):
        raise typer.BadParameter("give --all or --establishment UAI (one of them)")
    return establishment


def _scope_text(uai: str | None, lang: str) -> str:
    return _say("all", lang) if uai is None else uai


def suspend_command(
    reason: ReasonOption,
    all_: AllOption = False,
    establishment: EstablishmentOption = None,
    lang: LangOption = "fr",
) -> None:
    """Stop serving the lists of one establishment (or of all) at once, for a reason."""
    from serving.services.suspensions import suspend

    language_of(lang)
    uai = _scope(all_, establishment)
    as_operator(suspend, uai, reason)
    console.print(_say("suspended", lang, scope=_scope_text(uai, lang)), markup=False)


def resume_command(
    reason: ReasonOption,
    all_: AllOption = False,
    establishment: EstablishmentOption = None,
    lang: LangOption = "fr",
) -> None:
    """Serve again the lists of one establishment (or every suspension lifted), for a reason."""
    from serving.services.suspensions import resume

    language_of(lang)
    uai = _scope(all_, establishment)
    lifted = as_operator(resume, uai, reason)
    scopes = ", ".join(_scope_text(row.uai, lang) for row in lifted)
    console.print(_say("resumed", lang, scope=scopes), markup=False)


def suspensions_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print them as JSON.")] = False,
    lang: LangOption = "fr",
) -> None:
    """Every suspension, active or lifted, the newest first (who, when, why)."""
    from rich.table import Table

    from serving.services.suspensions import list_suspensions

    language_of(lang)
    rows = as_operator(list_suspensions)
    if as_json:
        typer.echo(dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    if not rows:
        console.print(_say("none", lang), markup=False)
        return
    table = Table("scope", "reason", "by", "since", "resumed", "resumed by", "resume reason")
    for row in rows:
        table.add_row(
            _scope_text(row.uai, lang),
            row.reason,
            row.suspended_by,
            f"{row.suspended_at:%Y-%m-%d %H:%M}",
            f"{row.resumed_at:%Y-%m-%d %H:%M}" if row.resumed_at else "-",
            row.resumed_by or "-",
            row.resume_reason or "-",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the commands to `app`."""
    app.command("suspend")(suspend_command)
    app.command("resume")(resume_command)
    app.command("suspensions")(suspensions_command)
