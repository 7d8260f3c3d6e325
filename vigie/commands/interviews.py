"""`vigie interview-effect`: the effect of an invitation on leaving, by regression
discontinuity around the capacity cut (`training.interview_effect`), on the weekly queue
replayed over a run's tested year or, with `--served`, on the weeks Vigie served (the
store's published lists) with the exits of a later extraction."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from features.jsonio import dumps
from models.registry import REGISTERED_MODEL
from training.interview_effect import DEFAULT_BANDWIDTH, DiscontinuityEstimate
from vigie.commands.common import (
    LangOption,
    QuietOption,
    console,
    language_of,
    progress_for,
    user_errors,
)

__all__ = ["interview_effect", "register", "render_estimate"]

# Keys -> (French, English).
_WORDING: dict[str, tuple[str, str]] = {
    "title": (
        "Effet d'une invitation sur le départ (discontinuité à la limite des places)",
        "Effect of an invitation on leaving (discontinuity at the capacity cut)",
    ),
    "fuzzy_title": (
        "Effet d'un entretien sur le départ (discontinuité floue à la limite des places)",
        "Effect of an interview on leaving (fuzzy discontinuity at the capacity cut)",
    ),
    "at_cut": (
        "Taux de départ à la limite : invités {inside}, non invités {outside}",
        "Leaving rate at the cut: invited {inside}, not invited {outside}",
    ),
    "effect": ("Effet : {value} (intervalle à {level})", "Effect: {value} ({level} interval)"),
    "relative": ("Effet relatif : {value}", "Relative effect: {value}"),
    "first_stage": (
        "Saut de la part des élèves reçus à la limite : {value}",
        "Jump in the share interviewed at the cut: {value}",
    ),
    "support": (
        "{rows} lignes élève-semaine dans la fenêtre de {bandwidth} place(s) de part et "
        "d'autre, {establishments} établissements, {replicates} tirages bootstrap par "
        "établissement",
        "{rows} student-week rows within {bandwidth} slot(s) on either side, "
        "{establishments} establishments, {replicates} bootstrap resamples by establishment",
    ),
    "placebo": (
        "Semaines rejouées : aucune de ces invitations n'a eu lieu, l'intervalle doit couvrir 0 "
        "(contrôle des hypothèses) ; sur les semaines servies, il mesure l'effet des entretiens.",
        "Replayed weeks: none of these invitations took place, so the interval should cover 0 "
        "(a check of the assumptions); on served weeks, it measures what the interviews do.",
    ),
    "served": (
        "Semaines servies : les listes publiées (rang, places de chaque établissement et "
        "semaine) et les sorties de l'extraction ultérieure ; au-delà des places, seuls les "
        "élèves « à surveiller » sont enregistrés.",
        "Served weeks: the published lists (rank, each establishment's slots that week) and "
        "the exits of the later extraction; beyond the slots, only the students « to watch » "
        "are stored.",
    ),
}


def _say(key: str, language: str, **values: object) -> str:
    french, english = _WORDING[key]
    return (french if language == "fr" else english).format(**values)


def _points_interval(estimate: DiscontinuityEstimate, language: str) -> str:
    """« -3,2 pts [-5,0 pts ; -1,1 pts] »: a difference of rates in percentage points."""
    from wording.numbers import points

    separator = " ; " if language == "fr" else ", "
    bounds = separator.join(points(bound, language) for bound in estimate.interval)
    return f"{points(estimate.effect, language)} [{bounds}]"


def render_estimate(
    estimate: DiscontinuityEstimate, language: str, placebo: bool, served: bool = False
) -> str:
    """The estimate with its interval, in French or English (percentage points)."""
    from wording.numbers import integer, number, percent, percent_interval

    level = percent(estimate.level, language, digits=0)
    lines = [
        _say("fuzzy_title" if estimate.fuzzy else "title", language),
        _say(
            "at_cut",
            language,
            inside=percent(estimate.leaving_invited, language),
            outside=percent(estimate.leaving_not_invited, language),
        ),
        _say("effect", language, level=level, value=_points_interval(estimate, language)),
        _say(
            "relative",
            language,
            value=percent_interval(estimate.relative, *estimate.relative_interval, language),
        ),
    ]
    if estimate.first_stage is not None:
        lines.append(_say("first_stage", language, value=percent(estimate.first_stage, language)))
    lines.append(_say("support", language, rows=integer(estimate.rows, language),
                      bandwidth=number(estimate.bandwidth, language, 1, trim=True),
                      establishments=estimate.establishments,
                      replicates=integer(estimate.replicates, language)))  # fmt: skip
    if placebo:
        lines.append(_say("placebo", language))
    if served:
        lines.append(_say("served", language))
    return "\n".join(lines)


def interview_effect(
    run: Annotated[str | None, typer.Option("--run", help="Training run id.")] = None,
    model_version: Annotated[
        str | None,
        typer.Option(help="Registered version (number or alias such as champion)."),
    ] = None,
    model: Annotated[str, typer.Option("--model", help="Registered model name.")] = (
        REGISTERED_MODEL
    ),
    score: Annotated[
        str, typer.Option(help="The scores whose queue is replayed (a model of the run).")
    ] = "lightgbm",
    bandwidth: Annotated[
        float, typer.Option(min=0.1, max=20, help="Slots on either side of the cut.")
    ] = DEFAULT_BANDWIDTH,
    n_boot: Annotated[int, typer.Option(min=10, help="Bootstrap resamples.")] = 500,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the bootstrap.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")] = False,
    served: Annotated[
        bool,
        typer.Option(
            "--served",
            help="Use the weeks served (the store's published lists) and the exits of a later "
            "extraction instead of a run's replayed weeks.",
        ),
    ] = False,
    extraction: Annotated[
        Path | None,
        typer.Option(
            "--extraction",
            help="With --served: the later extraction the exits are read from (default: "
            "VIGIE_OUTCOMES_EXTRACTION).",
        ),
    ] = None,
    fuzzy: Annotated[
        bool,
        typer.Option(
            "--fuzzy",
            help="With --served: the effect of an interview held (the store's interviews) "
            "rather than of an invitation.",
        ),
    ] = False,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Estimate the effect of an invitation on leaving by regression discontinuity at the
    capacity cut of the weekly queue replayed over a run's tested year, or (--served) of
    the weeks Vigie served."""
    from dataclasses import asdict

    if served:
        _served_effect(extraction, fuzzy, bandwidth, n_boot, seed, as_json, quiet, lang)
        return
    if fuzzy or extraction is not None:
        raise typer.BadParameter("--fuzzy and --extraction go with --served")

    from models.registry import registry_client
    from settings import load_settings
    from training.evaluation import replay_frame
    from training.interview_effect import estimate_interview_effect, replay_ranking
    from training.logged import logged_predictions, resolve_run_id
    from training.tracking import setup_tracking

    language = language_of(lang)
    with user_errors(), progress_for(quiet, lang) as progress:
        setup_tracking(load_settings().home)
        client = registry_client()
        run_id = resolve_run_id(client, run, model_version, model)
        progress.stage("evaluate_read")
        predictions, _ = logged_predictions(client, run_id)
        ranking = replay_ranking(replay_frame(predictions, score), bandwidth, seed)
        estimate = estimate_interview_effect(ranking, bandwidth, n_boot=n_boot, seed=seed)
    if as_json:
        typer.echo(dumps({"run": run_id, "score": score, **asdict(estimate)}, indent=2))
        return
    console.print(render_estimate(estimate, language, placebo=True), markup=False)


def _served_effect(
    extraction: Path | None, fuzzy: bool, bandwidth: float, n_boot: int, seed: int,
    as_json: bool, quiet: bool, lang: str,
) -> None:  # fmt: skip
    """`interview-effect --served`: the same estimator on the weeks the store served."""
    from dataclasses import asdict

    from serving.db import open_store
    from serving.monitoring.served_ranking import served_weeks_ranking
    from settings import load_settings
    from training.interview_effect import estimate_interview_effect

    language = language_of(lang)
    settings = load_settings()
    folder = extraction or settings.monitoring.outcomes_extraction
    if folder is None:
        raise typer.BadParameter("--served needs --extraction (or VIGIE_OUTCOMES_EXTRACTION)")
    with user_errors(), progress_for(quiet, lang) as progress:
        progress.stage("evaluate_read")
        store = open_store(settings.resolved_database_url)
        try:
            ranking = served_weeks_ranking(store, folder)
        finally:
            store.dispose()
        estimate = estimate_interview_effect(
            ranking, bandwidth, treated="treated" if fuzzy else None, n_boot=n_boot, seed=seed
        )
    if as_json:
        typer.echo(dumps({"served": True, "extraction": str(folder), **asdict(estimate)},
                         indent=2))  # fmt: skip
        return
    console.print(render_estimate(estimate, language, placebo=False, served=True), markup=False)


def register(app: typer.Typer) -> None:
    app.command("interview-effect")(interview_effect)
