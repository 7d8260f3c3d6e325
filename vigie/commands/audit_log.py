"""The `vigie audit-log verify` command: check that the audit log's hash chain is intact."""

from __future__ import annotations

from typing import Annotated

import typer

from features.jsonio import dumps
from vigie.commands.common import console, error_console
from vigie.commands.store_access import open_settings_store, refusals

__all__ = ["register"]

audit_log_app = typer.Typer(
    help="The store's append-only audit log (who read or changed which record, when).",
    no_args_is_help=True,
)


@audit_log_app.command("verify")
def verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check the audit log's hash chain in id order: each entry carries the SHA-256 of its
    content and of the previous entry's hash. Names the first entry whose content no longer
    matches its hash (edited or forged) or that does not follow the one before it (entries
    deleted, replaced or inserted), exit code 1; else prints how many entries were verified
    and the chain's head (last id and hash), exit code 0. After `vigie purge` removed the
    oldest entries, the walk starts after its latest checkpoint, whose anchor entry must be
    in the chain. Keep the head elsewhere: someone able to recompute hashes could otherwise
    cut or append entries at the end unseen."""
    from serving.db.audit_chain import verify_chain

    with refusals():
        store = open_settings_store()
    try:
        with refusals():
            report = verify_chain(store)
    finally:
        store.dispose()
    if as_json:
        typer.echo(dumps(report.to_dict(), indent=2))
    elif report.intact:
        console.print(report.summary(), markup=False)
        if report.head_id is not None:
            console.print(f"Head: entry {report.head_id}, hash {report.head_hash}", markup=False)
    else:
        error_console.print(f"Audit log broken at {report.summary()}", style="red", markup=False)
    if not report.intact:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the commands to `app`."""
    app.add_typer(audit_log_app, name="audit-log")
