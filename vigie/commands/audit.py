"""The `vigie audit` command: the fairness audit of a training run, as a report to sign."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vigie.commands.common import (
    QuietOption,
    console,
    error_console,
    language_of,
    one_of,
    progress_for,
    user_errors,
)

if TYPE_CHECKING:
    from training.fairness.audit import FairnessAudit

__all__ = ["register"]


def _references(values: list[str] | None) -> dict[str, str]:
    references: dict[str, str] = {}
    for value in values or []:
        grouping, separator, group = value.partition("=")
        if not separator or not grouping or not group:
            raise typer.BadParameter(
                f"{value!r}: write GROUPING=GROUP, e.g. sex=M or track=general"
            )
        references[grouping.strip()] = group.strip()
    return references


def audit(
    run: Annotated[str, typer.Option("--run", help="Training run id to audit.")],
    reference_group: Annotated[
        list[str] | None,
        typer.Option(
            "--reference-group",
            help="Reference group of a grouping, GROUPING=GROUP (repeatable), e.g. sex=M. "
            "Default: the largest judged group.",
        ),
    ] = None,
    min_group_size: Annotated[
        int, typer.Option(min=1, help="Fewest students for a group to be judged.")
    ] = 100,
    min_positives: Annotated[
        int, typer.Option(min=1, help="Fewest dropouts for a group to be judged.")
    ] = 20,
    min_establishments: Annotated[
        int, typer.Option(min=1, help="Fewest establishments for a group to be judged.")
    ] = 5,
    lang: Annotated[
        str,
        typer.Option("--lang", envvar="VIGIE_LANG", help="Report and progress language: fr or en."),
    ] = "fr",
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the HTML report to this file.")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Extraction folder, if it moved (its fingerprint must match)."),
    ] = None,
    n_boot: Annotated[int, typer.Option(min=10, help="Bootstrap resamples.")] = 500,
    correction: Annotated[
        str,
        typer.Option(
            help="Correction of the gate's intervals for the number of recall ratios judged: "
            "holm or bonferroni. A group blocks promotion only when its corrected interval "
            "lies wholly outside the band (within its kind of establishment)."
        ),
    ] = "holm",
    log: Annotated[
        bool, typer.Option(help="Log the audit to the run in MLflow (under fairness/).")
    ] = True,
    quiet: QuietOption = False,
) -> None:
    """Audit a training run's weekly lists and explanations for fairness: per-group metrics
    at each establishment's capacity, disparities against a reference group (band 0.8-1.25),
    proxies of sensitive attributes; writes a report an inspector can sign."""
    from mlflow.tracking import MlflowClient
    from pydantic import ValidationError

    from settings import load_settings
    from training.fairness import FairnessConfig
    from training.fairness.correction import Correction
    from training.fairness.logged import audit_logged_run, log_audit, write_report
    from training.tracking import setup_tracking

    language = language_of(lang)
    method: Correction = one_of(correction, ("holm", "bonferroni"), "--correction")
    try:
        config = FairnessConfig(
            reference_groups=_references(reference_group), min_students=min_group_size,
            min_positives=min_positives, min_establishments=min_establishments,
            n_boot=n_boot, language=language,
            correction=method,
        )  # fmt: skip
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from None
    with user_errors(), progress_for(quiet, lang) as progress:
        setup_tracking(load_settings().home)
        client = MlflowClient()
        progress.stage("audit")
        result = audit_logged_run(client, run, config, data)
        if log:
            progress.stage("audit_log")
            log_audit(client, run, result)
        if out is not None:
            progress.stage("audit_report")
            write_report(result, out, lang)
    _print_summary(result, lang)
    if log:
        console.print(f"Logged to run {run} under fairness/ (fairness_report.html, fairness.json).")
    if out is not None:
        console.print(f"Report written to {out}")


def _print_summary(result: FairnessAudit, lang: str) -> None:
    from training.fairness.groups import group_label, grouping_label

    gate = result.gate()
    level = gate["adjusted_level"]
    console.print(
        f"Gate ({gate['correction']}, {gate['tests']} within-kind recall ratios judged"
        + (f", first interval at {100 * level:.2f} %" if level is not None else "")
        + f"): {'passed' if gate['passed'] else 'blocked'}."
    )
    for item in gate["out_of_band"]:
        error_console.print(
            f"Out of band within {item['kind']}: {grouping_label(item['grouping'], lang)} = "
            f"{group_label(item['group'], lang)}: ratio {item['ratio']:.2f} corrected interval "
            f"[{item['ratio_low']:.2f}, {item['ratio_high']:.2f}] at {100 * item['level']:.2f} %",
            markup=False,
        )
    failing = result.out_of_band("recall")
    for row in failing.itertuples():
        sure = "interval outside the band" if row.ci_outside_band else "interval meets the band"
        error_console.print(
            f"Reported, all kinds pooled (not judged): {grouping_label(row.grouping, lang)} = "
            f"{group_label(row.group, lang)}: ratio {row.ratio:.2f} "
            f"[{row.ratio_low:.2f}, {row.ratio_high:.2f}] vs "
            f"{group_label(str(row.reference), lang)} ({sure})",
            markup=False,
        )
    console.print(f"Groups too small to judge: {len(result.too_small())}")
    for row in result.proxies_found().itertuples():
        console.print(f"Proxy found: {row.target} AUC {row.auc:.2f}, carried by {row.carried_by}")


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command()(audit)
