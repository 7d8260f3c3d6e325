"""The `vigie monitor` command: a written week's monitoring, computed and kept with the week
(`serving.monitoring.monitor_week`), also run at the end of `vigie score`.

It prints the week's churn and slots spent, its drift and, with a later extraction
(--extraction, else VIGIE_OUTCOMES_EXTRACTION), the realised outcomes of past invitations
beside what the evaluation promised; alerts are printed and logged. Aggregates only, never
a student.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from vigie.commands.common import console, error_console, language_of, parse_date, user_errors

if TYPE_CHECKING:
    from serving.monitoring.run import ScoredWeek
    from serving.monitoring.store import MonitoredWeek
    from wording.numbers import Language

__all__ = ["monitor", "register", "run_monitoring"]

_WORDS = {
    "fr": {
        "headline": "Suivi de la semaine du {week} enregistré.",
        "lists": "Listes : {invited} élèves invités pour {capacity} créneaux ({share} des "
        "créneaux), renouvellement {churn} par rapport à la semaine du {previous}.",
        "lists_first": "Listes : {invited} élèves invités pour {capacity} créneaux ({share} "
        "des créneaux) ; pas de semaine précédente.",
        "drift": "Dérive ({version}) : {alerts} indicateur(s) en alerte, PSI du score {score}.",
        "outcomes": "Issues constatées ({weeks} semaine(s) jugée(s)) : {reached} futurs "
        "décrocheurs invités, dont {ahead} au moins 4 semaines avant ; part des invitations à "
        "de futurs décrocheurs {precision} (promis : {promised}).",
        "unavailable": "{kind} : non calculé ({reason}).",
        "alert": "ALERTE : {alert}.",
        "none": "Aucune alerte.",
        "failed": "Le suivi n'a pas pu être calculé : {reason}. Les listes de la semaine sont "
        "publiées.",
    },
    "en": {
        "headline": "Monitoring of the week of {week} stored.",
        "lists": "Lists: {invited} students invited for {capacity} slots ({share} of the "
        "slots), churn {churn} against the week of {previous}.",
        "lists_first": "Lists: {invited} students invited for {capacity} slots ({share} of "
        "the slots); no week before.",
        "drift": "Drift ({version}): {alerts} indicator(s) in alert, score PSI {score}.",
        "outcomes": "Realised outcomes ({weeks} week(s) judged): {reached} future dropouts "
        "invited, {ahead} of them at least 4 weeks before; share of invitations to future "
        "dropouts {precision} (promised: {promised}).",
        "unavailable": "{kind}: not computed ({reason}).",
        "alert": "ALERT: {alert}.",
        "none": "No alert.",
        "failed": "The monitoring could not be computed: {reason}. The week's lists are published.",
    },
}


def monitor(
    week: Annotated[
        str | None,
        typer.Option("--week", help="A day of the week YYYY-MM-DD; default: the latest written."),
    ] = None,
    extraction: Annotated[
        Path | None,
        typer.Option(
            "--extraction",
            help="A later extraction to learn the exits from (default: "
            "VIGIE_OUTCOMES_EXTRACTION; none: no realised outcomes).",
        ),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", envvar="VIGIE_LANG", help="Message language: fr or en.")
    ] = "fr",
) -> None:
    """Monitor a written week and keep the result with it: drift of every feature and of the
    score against the champion's training rows, list churn, slots spent and, with a later
    extraction, the realised outcomes of past invitations. Alerts are printed and logged."""
    from serving.services.errors import NotFound

    language = language_of(lang)
    day = None if week is None else parse_date(week)
    with user_errors():
        try:
            run_monitoring(day, extraction, language)
        except NotFound as error:
            error_console.print(str(error), style="red", markup=False)
            raise typer.Exit(1) from None


def run_monitoring(
    week: dt.date | None,
    extraction: Path | None,
    language: Language,
    *,
    scored: ScoredWeek | None = None,
) -> MonitoredWeek:
    """`monitor_week` with the settings (store, registry, thresholds), its summary printed;
    `scored`: the model and rows `vigie score` already holds for the week."""
    from models.registry import registry_client
    from serving.db import open_store
    from serving.monitoring.metrics import Thresholds
    from serving.monitoring.run import monitor_week
    from settings import load_settings
    from training.tracking import setup_tracking

    settings = load_settings()
    uri = setup_tracking(settings.home)
    thresholds = Thresholds(
        psi=settings.dashboard.drift_threshold,
        churn=settings.monitoring.churn_threshold,
        slot_share=settings.monitoring.slot_share_threshold,
    )
    store = open_store(settings.resolved_database_url)
    try:
        result = monitor_week(
            store, week=week, thresholds=thresholds, client=registry_client(uri),
            model_name=settings.model_name,
            extraction=extraction or settings.monitoring.outcomes_extraction, scored=scored,
        )  # fmt: skip
    finally:
        store.dispose()
    print_result(result, language)
    return result


def failed(error: BaseException, language: Language) -> None:
    """Say that the monitoring failed and that the published week stands."""
    reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    error_console.print(_WORDS[language]["failed"].format(reason=reason), style="yellow",
                        markup=False, soft_wrap=True)  # fmt: skip


def print_result(result: MonitoredWeek, language: Language) -> None:
    from app_dashboard.monitoring_alerts import alert_text, kind_label
    from wording import numbers

    words = _WORDS[language]

    def share(value: Any) -> str:
        return numbers.percent(value, language, 0, trim=True)

    def number(value: Any) -> str:
        return numbers.number(value, language, 3, trim=True)

    day = numbers.day(result.week, language)
    console.print(words["headline"].format(week=day), markup=False)
    lists = result.payloads["lists"]
    overall = lists.get("overall")
    if overall is not None:
        key = "lists" if lists.get("previous_week") else "lists_first"
        previous = lists.get("previous_week")
        console.print(words[key].format(
            invited=overall["invited"], capacity=overall["capacity"],
            share=share(overall["slot_share"]), churn=share(overall["churn"]),
            previous=numbers.day(dt.date.fromisoformat(previous), language) if previous else "",
        ), markup=False)  # fmt: skip
    drift = result.payloads["drift"]
    if "features" in drift:
        console.print(words["drift"].format(
            version=drift["model_version"], alerts=sum(f["alert"] for f in drift["features"]),
            score=number(drift["score_psi"]),
        ), markup=False)  # fmt: skip
    outcomes = result.payloads["outcomes"]
    if "overall" in outcomes:
        realised, promised = outcomes["overall"], outcomes["promised"]
        console.print(words["outcomes"].format(
            weeks=outcomes["weeks_judged"], reached=numbers.integer(realised["dropouts_reached"],
                                                                   language),
            ahead=numbers.integer(realised["dropouts_reached_ahead"], language),
            precision=share(realised["invitation_precision"]),
            promised=share(promised.get("invitation_precision")),
        ), markup=False)  # fmt: skip
    for kind, reason in result.unavailable().items():
        console.print(words["unavailable"].format(kind=kind_label(kind, language), reason=reason),
                      markup=False)  # fmt: skip
    for alert in result.alerts:
        console.print(words["alert"].format(alert=alert_text(alert, language)), style="red",
                      markup=False)  # fmt: skip
    if not result.alerts:
        console.print(words["none"], markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command()(monitor)
