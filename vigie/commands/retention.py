"""`vigie purge --older-than PERIOD [--apply]`: the retention rule
(`serving.services.retention`). A dry run by default, counting by kind what would go; with
--apply, removes it, week by week and student by student (each in its own transaction,
audited with counts), the week artifacts' files after their rows. The audit log is kept."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated

import typer

from features.jsonio import dumps
from vigie.commands.common import LangOption, console, language_of, parse_date
from vigie.commands.store_access import as_operator, refusals

__all__ = ["register"]

_KINDS = {
    "weeks": ("semaines", "weeks"),
    "lists": ("listes", "lists"),
    "list_entries": ("lignes de listes", "list entries"),
    "week_folders": (
        "dossiers de semaine (instantanés, contributions)",
        "week folders (snapshots, contributions)",
    ),
    "interviews": ("entretiens", "interviews"),
    "dismissals": ("écartements", "dismissals"),
    "enrollments": ("inscriptions terminées", "ended enrollments"),
    "students": ("élèves", "students"),
}
_HEADLINES = {
    False: (
        "Simulation : données personnelles antérieures au {cutoff} qui seraient supprimées "
        "(relancer avec --apply) :",
        "Dry run: personal data before {cutoff} that would be removed (run again with --apply):",
    ),
    True: (
        "Supprimé (données personnelles antérieures au {cutoff}, inscrit au journal d'audit) :",
        "Removed (personal data before {cutoff}, written to the audit log):",
    ),
}
_KEPT = (
    "Conservés : les effectifs par semaine et par établissement, le journal d'audit.",
    "Kept: the counts per week and establishment, the audit log.",
)


def purge_command(
    older_than: Annotated[
        str,
        typer.Option("--older-than", help="Period kept, e.g. 2y, 18m, 60w, 400d (>= 6 months)."),
    ],
    apply: Annotated[bool, typer.Option("--apply", help="Remove (default: count only).")] = False,
    today: Annotated[
        str | None, typer.Option(help="Count the period back from this day (default: today).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    lang: LangOption = "fr",
) -> None:
    """Remove personal data older than a period: weeks' lists and artifacts, interviews,
    dismissals, ended enrollments, students left with nothing. Dry run unless --apply."""
    from serving.services.retention import cutoff_for, purge

    language = 0 if language_of(lang) == "fr" else 1
    day = dt.date.today() if today is None else parse_date(today)
    with refusals():
        cutoff = cutoff_for(older_than, day)
    report = as_operator(partial(purge, apply=apply), cutoff)
    counts = report.counts.as_dict()
    if as_json:
        payload = {"cutoff": cutoff.isoformat(), "applied": apply, "counts": counts}
        typer.echo(dumps(payload, indent=2))
        return
    console.print(_HEADLINES[apply][language].format(cutoff=cutoff.isoformat()), markup=False)
    for kind, count in counts.items():
        console.print(f"  {_KINDS[kind][language]}: {count}", markup=False)
    console.print(_KEPT[language], markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command("purge")(purge_command)
