"""The `vigie score` command: this week's lists, for every establishment, in the store.

It loads the registered model behind the `champion` alias (or the alias or version given),
validates the extraction, scores every student enrolled on the as-of date, explains each
establishment's weekly queue (to invite, to watch, in follow-up: `models.queue`, under the
follow-up rule given by --held-weeks, --dismissal-weeks and --risk-margin), and replaces the
week's lists in one transaction (`serving.scoring.score_week`). Any failure leaves the
previous lists as they were and exits with code 1 and the reason. The summary printed holds
counts and risks, never a name. Then it monitors the week (`vigie monitor`): a failure there
is logged and said, and leaves the published week as it is (exit code 0).

An extraction partitioned by académie (academie=NAME/ folders) is scored one académie per
task, on the Dask cluster of --cluster (or VIGIE_DASK_SCHEDULER) or here, and its week
switched in one transaction (`serving.scoring.cluster.score_partitioned_week`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from models.queue import DEFAULT_FOLLOW_UP
from vigie.commands.cluster import ClusterOption, cluster_client, cluster_of
from vigie.commands.common import (
    LangOption,
    QuietOption,
    console,
    error_console,
    language_of,
    parse_date,
    progress_for,
    user_errors,
)

if TYPE_CHECKING:
    from features.cluster import ClusterSpec
    from features.incremental.validation import ValidationSummary
    from features.progress import Progress
    from models.queue import FollowUpRule
    from serving.db import Store
    from serving.scoring import RegisteredModel, WeeklyScoring
    from serving.scoring.incremental import IncrementalScoring
    from serving.scoring.model import ModelLoading
    from wording.numbers import Language

__all__ = ["register", "score"]

logger = logging.getLogger(__name__)

_UNTOUCHED = "The previous lists are untouched."


def score(
    data: Annotated[Path, typer.Option(help="Extraction folder (CSV or Parquet tables).")],
    as_of: Annotated[
        str, typer.Option("--as-of", help="As-of date YYYY-MM-DD (the week's Monday).")
    ],
    model_alias: Annotated[
        str | None,
        typer.Option("--model-alias", help="Registered model alias; default: champion."),
    ] = None,
    model_version: Annotated[
        int | None,
        typer.Option("--model-version", min=1, help="Registered model version number."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Risk at or over which students beyond the capacity are shown to watch "
            "(default 0.2).",
        ),
    ] = None,
    no_watch: Annotated[
        bool, typer.Option("--no-watch", help="No watch tier: the lists hold capacity only.")
    ] = False,
    held_weeks: Annotated[
        int,
        typer.Option(
            "--held-weeks",
            min=0,
            help="Weeks a student stays in follow-up (no slot) after an interview held.",
        ),
    ] = DEFAULT_FOLLOW_UP.held_weeks,
    dismissal_weeks: Annotated[
        int | None,
        typer.Option(
            "--dismissal-weeks",
            min=0,
            help="Weeks a student stays in follow-up (no slot) after a dismissal "
            f"(default: VIGIE_DISMISSAL_WEEKS, else {DEFAULT_FOLLOW_UP.dismissal_weeks}).",
            show_default=False,
        ),
    ] = None,
    risk_margin: Annotated[
        float,
        typer.Option(
            "--risk-margin",
            help="A followed student whose risk rose by this much (in (0, 1]) since the "
            "decision is back in the queue at once.",
        ),
    ] = DEFAULT_FOLLOW_UP.risk_margin,
    cluster: ClusterOption = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Validate the whole extraction even when last week's state allows checking "
            "only the new events (the default; a full run is made by itself when the state "
            "cannot be used, and said).",
        ),
    ] = False,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Score every enrolled student and write this week's lists to the store (all or
    nothing; rerunning the same week with the same model, data, decisions and rule changes
    nothing). Each establishment's capacity goes to the highest risks not in follow-up (an
    interview under way, one held in the last --held-weeks weeks, a dismissal in the last
    --dismissal-weeks weeks); followed students are listed apart and never take a slot.
    An extraction partitioned by académie (academie=NAME/ folders) is scored one académie
    per task, on the Dask cluster of --cluster (or VIGIE_DASK_SCHEDULER) or here; its week
    is written in one transaction once every académie succeeded."""
    from models.queue import FollowUpRule
    from serving.scoring import DEFAULT_WATCH_THRESHOLD

    if model_alias is not None and model_version is not None:
        raise typer.BadParameter("give --model-alias or --model-version, not both")
    if no_watch and threshold is not None:
        raise typer.BadParameter("give --threshold or --no-watch, not both")
    watch_threshold = None
    if not no_watch:
        watch_threshold = DEFAULT_WATCH_THRESHOLD if threshold is None else threshold
    date = parse_date(as_of)
    where = _cluster(data, cluster)
    with _failures(), progress_for(quiet, lang) as progress:
        if dismissal_weeks is None:
            from settings import load_settings

            dismissal_weeks = load_settings().serving.dismissal_weeks
        rule = FollowUpRule(held_weeks, dismissal_weeks, risk_margin)
        result, incremental, model = _run(data, date, model_alias, model_version,
                                          watch_threshold, rule, progress, where,
                                          full)  # fmt: skip
    _print(result, watch_threshold, rule)
    if incremental is not None:
        _print_validation(incremental.summary, language_of(lang))
    from features.partitions import PARTITION_KEY

    for name, summary in sorted(result.validations.items()):  # a partitioned extraction's
        _print_validation(summary, language_of(lang), f"{PARTITION_KEY}={name}: ")
    _monitor(result, model, language_of(lang))


def _cluster(data: Path, option: str | None) -> tuple[bool, ClusterSpec | None]:
    """Whether `data` is partitioned by académie, and the cluster that scores it (None:
    here); --cluster is refused for a single extraction (the single-machine path)."""
    from features.partitions import find_partitions

    with user_errors():
        partitioned = data.is_dir() and find_partitions(data)[0].name is not None
    if partitioned:
        return True, cluster_of(option)
    if option is not None:
        raise typer.BadParameter(
            f"{data} is a single extraction: --cluster needs one partitioned by académie "
            "(academie=NAME/ folders)",
            param_hint="--cluster",
        )
    return False, None


def _monitor(result: WeeklyScoring, model: RegisteredModel, language: Language) -> None:
    """The week's monitoring (`vigie monitor`), with the model and the rows this run already
    holds (nothing loaded twice); its failure leaves the published week as it is: logged
    and said, exit code 0."""
    from serving.monitoring.run import ScoredWeek
    from vigie.commands.monitor import failed, run_monitoring

    week = result.written.week
    scored = None
    if result.rows is not None:
        scored = ScoredWeek(week, model.label, model.model, result.rows)
    try:
        run_monitoring(week, None, language, scored=scored)
    except Exception as error:  # any failure: the week is published whatever happens here
        logger.warning("monitoring of the week of %s failed: %s", week.isoformat(),
                       type(error).__name__)  # fmt: skip
        failed(error, language)


def _run(
    data: Path,
    as_of: dt.date,
    alias: str | None,
    version: int | None,
    watch_threshold: float | None,
    rule: FollowUpRule,
    progress: Progress,
    where: tuple[bool, ClusterSpec | None] = (False, None),
    full: bool = False,
) -> tuple[WeeklyScoring, IncrementalScoring | None, RegisteredModel]:
    from serving import scoring
    from serving.db import open_store
    from serving.scoring import STAGES
    from serving.scoring.incremental import score_week_incremental
    from serving.scoring.model import loaded
    from settings import load_settings
    from training.tracking import setup_tracking

    settings = load_settings()
    progress.stage("model")
    # The tracking's setup, the registry's lookup and the model's loading go on in a thread
    # while the extraction is validated and the features built; the validation asks for
    # the model's version once it has scanned the events.
    loading = scoring.start_loading_registered_model(
        alias=alias, version=version, cache=settings.home,
        setup=lambda: setup_tracking(settings.home),
    )  # fmt: skip
    store = open_store(settings.resolved_database_url)

    def model_line() -> None:
        console.print(f"Model {loading.label} ({loading.chosen_as}).", markup=False)

    def stage_done(stage: str, seconds: float) -> None:
        if stage == STAGES[0]:
            model_line()  # known once the extraction is validated
        logger.info("%s: %.1f s", stage, seconds)
        following = STAGES.index(stage) + 1
        if following < len(STAGES):  # score_week runs its STAGES in order
            progress.stage(_PROGRESS_STAGES[STAGES[following]])

    try:
        partitioned, spec = where
        if partitioned:
            # The model goes on loading while the cluster starts, or, here, while the first
            # académie is validated and its features built.
            week = _partitioned(data, as_of, store, loading, watch_threshold, rule,
                                progress, spec, full, model_line)  # fmt: skip
            return week, None, loaded(loading)
        progress.stage(_PROGRESS_STAGES[STAGES[0]])
        result = score_week_incremental(data, as_of, store, loading, home=settings.home,
                                        watch_threshold=watch_threshold, rule=rule,
                                        on_stage=stage_done, full=full)  # fmt: skip
        return result.scoring, result, loaded(loading)
    finally:
        store.dispose()


def _partitioned(
    data: Path,
    as_of: dt.date,
    store: Store,
    model: ModelLoading,
    watch_threshold: float | None,
    rule: FollowUpRule,
    progress: Progress,
    spec: ClusterSpec | None,
    full: bool = False,
    model_line: Callable[[], None] = lambda: None,
) -> WeeklyScoring:
    """The week of a partitioned extraction, on the cluster `spec` (here for None), with
    the model `model` loading meanwhile; `model_line` says which once the partitions are
    scored."""
    from features.partitions import find_partitions
    from serving.scoring.cluster import score_partitioned_week
    from settings import load_settings

    def stage_done(stage: str, seconds: float) -> None:
        logger.info("%s: %.1f s", stage, seconds)
        if stage == "partitions":
            model_line()
            progress.stage("store write")

    if spec is not None:
        progress.stage("cluster_start")
    with cluster_client(spec) as client:
        progress.stage("partition_scores", total=len(find_partitions(data)))
        return score_partitioned_week(
            data, as_of, store, model, home=load_settings().home,
            watch_threshold=watch_threshold, rule=rule, client=client, on_stage=stage_done,
            full=full,
        )  # fmt: skip


# The progress stage (`features.progress.STAGE_WORDING`) of each stage of `score_week`.
_PROGRESS_STAGES = {
    "validate": "validate",
    "features": "week_features",
    "predict": "predict",
    "explain lists": "explain lists",
    "store write": "store write",
}


@contextmanager
def _failures() -> Iterator[None]:
    """Errors of a weekly run that a person can act on end with the reason, a reminder that
    the previous lists are untouched, and exit code 1 (no traceback, no SQL, no names)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from serving.scoring import ModelUnavailable

    try:
        with user_errors():  # an invalid extraction (full report), a bad value
            yield
        return
    except typer.Exit:
        error_console.print(_UNTOUCHED, style="red", markup=False)
        raise
    except KeyboardInterrupt:
        message = "Interrupted: nothing was written."
    except ModelUnavailable as error:
        message = f"No model to score with: {error}."
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
        message = f"The store cannot be written: {reason}."
    except ValidationError as error:
        message = f"Invalid setting: {error}"
    error_console.print(f"{message} {_UNTOUCHED}", style="red", markup=False)
    raise typer.Exit(1)


def _print(result: WeeklyScoring, watch_threshold: float | None, rule: FollowUpRule) -> None:
    from rich.table import Table

    written = result.written
    if written.changed:
        headline = (
            f"Week of {written.week.isoformat()}: {written.establishments} lists written "
            f"({written.entries} students) by {result.model_version}, "
            f"{result.scored_students} students scored."
        )
    else:
        headline = (
            f"Week of {written.week.isoformat()}: already written by {result.model_version} "
            "with the same content; nothing changed."
        )
    console.print(headline, markup=False)
    if written.withheld:
        console.print(
            f"Suspended (stored, not served until resumed): {', '.join(written.withheld)}.",
            markup=False,
        )
    watch = "no watch tier" if watch_threshold is None else f"watch tier: risk >= {watch_threshold}"
    console.print(
        f"Follow-up rule: held {rule.held_weeks} weeks, dismissed {rule.dismissal_weeks} "
        f"weeks, risk margin {rule.risk_margin}.",
        markup=False,
    )
    table = Table(title=f"Lists per establishment ({watch})", title_justify="left")
    columns = (
        "UAI",
        "enrolled",
        "capacity",
        "to invite",
        "to watch",
        "in follow-up",
        "highest risk",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "UAI" else "right")
    for summary in result.establishments:
        top = "-" if summary.top_risk is None else f"{summary.top_risk:.1%}"
        table.add_row(
            summary.uai,
            str(summary.enrolled),
            str(summary.capacity),
            str(summary.listed),
            str(summary.watch),
            str(summary.followed),
            top,
        )
    console.print(table)
    stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in result.seconds.items())
    console.print(f"Stages: {stages}.", markup=False)


def _print_validation(summary: ValidationSummary, language: Language, prefix: str = "") -> None:
    """How the extraction (or the partition of `prefix`) was validated: only the new events,
    or whole and why; and whether its features added them to last week's sums."""
    from wording.weekly_run import features_line, validation_line

    if summary.mode == "full" and summary.reason is not None:
        line = validation_line("full", language, reason=summary.reason.code,
                               details=summary.reason.details)  # fmt: skip
    else:
        line = validation_line(
            "incremental",
            language,
            since=summary.since.isoformat() if summary.since else "",
            checked=summary.checked,
            unchanged=summary.unchanged,
            students=summary.students_rechecked,
        )
    console.print(prefix + line, markup=False)
    since = summary.features_since.isoformat() if summary.features_since else ""
    console.print(prefix + features_line(since, language), markup=False)


def register(app: typer.Typer) -> None:
    """Add the command to `app`."""
    app.command()(score)
