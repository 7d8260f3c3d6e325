"""`vigie purge --older-than PERIOD [--apply]`: the retention rule
(`serving.services.retention`). A dry run by default, counting by kind what would go; with
--apply, removes it, week by week and student by student (each in its own transaction,
audited with counts), the week artifacts' files after their rows. The audit log follows its
own rule (`serving.services.audit_retention`): its entries older than
VIGIE_AUDIT_LOG_RETENTION_DAYS go, the chain still verifying."""

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
    "contacts": ("contacts de la MLDS", "MLDS contacts"),
    "students": ("élèves", "students"),
    "feature_files": ("fichiers de variables datés", "dated feature files"),
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
_AUDIT = (
    "  journal d'audit, entrées antérieures au {cutoff} ({days} jours conservés, "
    "VIGIE_AUDIT_LOG_RETENTION_DAYS) : {count}",
    "  audit log, entries before {cutoff} ({days} days kept, "
    "VIGIE_AUDIT_LOG_RETENTION_DAYS): {count}",
)
_KEPT = (
    "Conservés : les effectifs par semaine et par établissement, le journal d'audit récent "
    "(chaîne vérifiable : vigie audit-log verify).",
    "Kept: the counts per week and establishment, the recent audit log (its chain still "
    "verifies: vigie audit-log verify).",
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
    dismissals, ended enrollments, students left with nothing, dated feature files of
    VIGIE_FEATURES_DIR; and audit entries older than
    VIGIE_AUDIT_LOG_RETENTION_DAYS (default 366, at least 183). Dry run unless --apply."""
    from serving.db.types import utc_now
    from serving.services.audit_retention import audit_cutoff, purge_audit_log
    from serving.services.retention import cutoff_for, purge
    from settings import load_settings

    language = 0 if language_of(lang) == "fr" else 1
    day = dt.date.today() if today is None else parse_date(today)
    with refusals():
        cutoff = cutoff_for(older_than, day)
        settings = load_settings()
        days = settings.serving.audit_log_retention_days
    report = as_operator(partial(purge, apply=apply, feature_folder=settings.features_dir), cutoff)
    # After the personal data: their purge's own audit entries are recent, and kept. Counted
    # back from the UTC day the service checks the six months against (unless --today).
    audit_day = utc_now().date() if today is None else day
    audit = as_operator(partial(purge_audit_log, apply=apply), audit_cutoff(audit_day, days))
    counts = report.counts.as_dict()
    if as_json:
        payload = {
            "cutoff": cutoff.isoformat(), "applied": apply, "counts": counts,
            "audit_log": {"cutoff": audit.cutoff.isoformat(), "days": days,
                          "entries": audit.entries},
        }  # fmt: skip
        typer.echo(dumps(payload, indent=2))
        return
    console.print(_HEADLINES[apply][language].format(cutoff=cutoff.isoformat()), markup=False)
    for kind, count in counts.items():
        console.print(f"  {_KINDS[kind][language]}: {count}", markup=False)
    console.print(_AUDIT[language].format(cutoff=audit.cutoff.isoformat(), days=days,
                                          count=audit.entries), markup=False)  # fmt: skip
    console.print(_KEPT[language], markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command("purge")(purge_command)
