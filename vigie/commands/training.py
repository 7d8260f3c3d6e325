"""Training commands: train, tune, promote, evaluate.

Each command checks its configuration and its extraction before it opens an MLflow run, so a
bad option, file or extraction ends with a message, exit code 1 and nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from models.registry import REGISTERED_MODEL
from vigie.commands.cluster import ClusterOption, cluster_client, cluster_of
from vigie.commands.common import (
    LangOption,
    QuietOption,
    console,
    error_console,
    one_of,
    parse_date,
    progress_for,
    user_errors,
)

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd
    from distributed import Client

    from features.cluster import ClusterSpec
    from features.progress import Progress
    from training.config import TrainConfig
    from training.pipeline import PreparedData
    from training.run import TrainingOutcome

    # The replay of the school year: per model, paired differences, interviewed variant.
    ReplayTables = tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]

__all__ = ["register"]

DataOption = Annotated[Path, typer.Option(help="Extraction folder (CSV or Parquet tables).")]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="YAML training configuration (validated).")
]
SeedOption = Annotated[int | None, typer.Option(min=0, help="Random seed (overrides config).")]
AsOfOption = Annotated[
    list[str] | None,
    typer.Option("--as-of", help="As-of date YYYY-MM-DD, repeatable: replaces the cadences."),
]
CvOption = Annotated[
    str | None,
    typer.Option(help="temporal, backtest:N or kfold:KxR (e.g. kfold:10x5) (overrides config)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")]
ModelOption = Annotated[str, typer.Option("--model", help="Registered model name.")]
InterviewedOption = Annotated[
    str | None,
    typer.Option(
        "--interviewed",
        help="Rows of students interviewed (the extraction's optional interviews table): keep, "
        "exclude or weight them (overrides config; default keep). Never a model input.",
    ),
]
InterviewedWeightOption = Annotated[
    float | None,
    typer.Option(
        "--interviewed-weight",
        help="With --interviewed weight: a flagged row's training weight, in (0, 1] (default 0.5).",
    ),
]


def train(
    data: Annotated[
        Path,
        typer.Option(
            help="Extraction folder (CSV or Parquet tables), or one partitioned by académie "
            "(academie=NAME/ folders)."
        ),
    ],
    config: ConfigOption = None,
    seed: SeedOption = None,
    as_of: AsOfOption = None,
    cv: CvOption = None,
    interviewed: InterviewedOption = None,
    interviewed_weight: InterviewedWeightOption = None,
    cluster: ClusterOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Train LightGBM and the baselines, compare them on held-out weeks at the establishments'
    interview capacity, log one MLflow run and register the model as `challenger`.

    An extraction partitioned by académie is prepared one académie per task; with --cluster
    (or VIGIE_DASK_SCHEDULER) the model is trained by lightgbm.dask on the workers and the
    tested years are replayed per académie there."""
    from settings import load_settings
    from training.config import load_train_config
    from training.run import prepare_data, run_training
    from training.tracking import setup_tracking

    partitioned = _is_partitioned(data, cluster)
    with user_errors(), progress_for(quiet, lang) as progress:
        settings = load_settings()
        train_config = load_train_config(config, {
            "seed": seed, "cv": cv, "interviewed.policy": interviewed,
            "interviewed.weight": interviewed_weight,
        })  # fmt: skip
        dates = [parse_date(value) for value in as_of or []]
        if partitioned:
            setup_tracking(settings.home)
            outcome = _partitioned_training(
                data, train_config, dates, cluster_of(cluster), settings.home, progress
            )
        else:
            prepared = prepare_data(data, train_config, dates, progress)
            setup_tracking(settings.home)
            outcome = run_training(data, train_config, dates, home=settings.home,
                                   prepared=prepared, progress=progress)  # fmt: skip
    title = f"Run {outcome.run_id}: tested student-weeks of {_tested(outcome.result.folds)}"
    replay = outcome.replay
    _show(outcome.result.comparison, outcome.result.lift, train_config.list_rules, as_json, title,
          None if replay is None else (replay.table, replay.lift, replay.variant))  # fmt: skip
    (error_console if as_json else console).print(  # keep stdout pure JSON with --json
        f"Registered {train_config.registered_model_name} version {outcome.version} as "
        f"challenger ({outcome.seconds:.0f} s). Read its fairness audit (logged to the run; "
        f"vigie audit --run {outcome.run_id}), then promote it with: "
        f'vigie promote --version {outcome.version} (add --override "justification" if '
        "the fairness or gain gate refuses it)"
    )


def _is_partitioned(data: Path, cluster: str | None) -> bool:
    """Whether `data` is partitioned by académie; --cluster is refused for a single folder."""
    from training.partitioned_snapshots import is_partitioned

    with user_errors():
        partitioned = is_partitioned(data)
    if cluster is not None and not partitioned:
        raise typer.BadParameter(
            f"{data} is a single extraction: --cluster needs one partitioned by académie "
            "(academie=NAME/ folders)",
            param_hint="--cluster",
        )
    return partitioned


def _partitioned_training(
    data: Path,
    config: TrainConfig,
    dates: list[dt.date],
    cluster: ClusterSpec | None,
    home: Path,
    progress: Progress,
) -> TrainingOutcome:
    """`training.partitioned_run.run_partitioned_training` on the cluster `cluster` (None:
    here); a failure on the cluster ends with its message and exit code 1."""
    from training.partitioned_run import ClusterTrainingError, run_partitioned_training

    if cluster is not None:
        progress.stage("cluster_start")
    with cluster_client(cluster) as client:
        try:
            return run_partitioned_training(
                data, config, dates, client=client, home=home, progress=progress
            )
        except ClusterTrainingError as error:
            error_console.print(f"Training failed: {error}.", style="red", markup=False)
            raise typer.Exit(1) from None


def _partitioned_snapshots(
    data: Path,
    config: TrainConfig,
    dates: list[dt.date],
    client: Client | None,
    home: Path,
    progress: Progress,
) -> PreparedData:
    """Every académie's snapshots of a partitioned extraction, built one académie per task
    on the cluster of `client` (None: here) into a temporary dataset under `home` (removed
    once read), read into one frame."""
    import tempfile

    from training.partitioned_snapshots import in_memory, prepare_partitioned

    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vigie-snapshots-", dir=home) as dataset:
        return in_memory(prepare_partitioned(data, config, Path(dataset), dates, client, progress))


def tune(
    data: DataOption,
    config: ConfigOption = None,
    seed: SeedOption = None,
    as_of: AsOfOption = None,
    cv: CvOption = None,
    trials: Annotated[int, typer.Option(min=1, help="Number of Optuna trials.")] = 10,
    metric: Annotated[
        str, typer.Option(help="What trials maximise: precision@k or pr_auc.")
    ] = "precision@k",
    timeout: Annotated[
        float | None, typer.Option(min=1, help="Stop searching after this many seconds.")
    ] = None,
    cluster: ClusterOption = None,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Search LightGBM parameters (Optuna, trials as nested MLflow runs, never on the tested
    year), then train and register the best configuration as a normal training run. An
    extraction partitioned by académie has its snapshots built one académie per task (on the
    Dask cluster of --cluster or VIGIE_DASK_SCHEDULER, or here), then read into this
    process; on a cluster the trials run on its workers, as many at once as it has worker
    threads; the final training runs here."""
    from settings import load_settings
    from training.config import load_train_config
    from training.run import prepare_data
    from training.tracking import setup_tracking
    from training.tune import TuneMetric, tune_and_train

    chosen_metric: TuneMetric = one_of(metric, ("precision@k", "pr_auc"), "--metric")
    partitioned = _is_partitioned(data, cluster)
    spec = cluster_of(cluster) if partitioned else None
    with user_errors(), progress_for(quiet, lang) as progress:
        settings = load_settings()
        train_config = load_train_config(config, {"seed": seed, "cv": cv})
        dates = [parse_date(value) for value in as_of or []]
        if spec is not None:
            progress.stage("cluster_start")
        with cluster_client(spec) as client:
            if partitioned:  # fails before any run, naming an invalid académie
                prepared = _partitioned_snapshots(data, train_config, dates, client,
                                                  settings.home, progress)  # fmt: skip
            else:
                prepared = prepare_data(data, train_config, dates, progress)  # before any run
            setup_tracking(settings.home)

            def trial_done(number: int, value: float, params: dict) -> None:
                console.print(f"  trial {number}: {metric} = {value:.4f}  {params}")

            outcome = tune_and_train(
                data, train_config, trials=trials, metric=chosen_metric,
                timeout=timeout, as_of=dates, home=settings.home, on_trial=trial_done,
                prepared=prepared, progress=progress, client=client,
            )  # fmt: skip
    console.print(f"Best {metric} {outcome.best_value:.4f} with {outcome.best_params}")
    result = outcome.training.result
    _show(result.comparison, result.lift, train_config.list_rules, False,
          f"Run {outcome.training.run_id} (tuned by {outcome.tune_run_id})")  # fmt: skip
    console.print(f"Registered version {outcome.training.version} as challenger.")


def promote(
    version: Annotated[str, typer.Option(help="Registered version to promote.")],
    by: Annotated[
        str | None, typer.Option("--by", help="Who promotes (default: VIGIE_USER or login).")
    ] = None,
    model: ModelOption = REGISTERED_MODEL,
    override: Annotated[
        str | None,
        typer.Option(
            "--override",
            help="Written justification to promote despite the fairness gate or the gain "
            "gate (recorded on the version, per gate, with who and when).",
        ),
    ] = None,
) -> None:
    """Move the `champion` alias to a version, refusing (with the reasons) a version whose
    run lacks the comparison table or whose model is not the one evaluated on held-out weeks;
    and, unless `--override` justifies it, a version whose fairness audit finds a sensitive
    group whose corrected recall-ratio interval lies outside the 0.8-1.25 band within its kind
    of establishment (or has no audit), or whose 95 % paired gain over the best baselines of
    its run or over the champion (same tested weeks) is not above 0. Records who promoted it
    and when."""
    from models.registry import registry_client
    from settings import load_settings
    from training.promote import PromotionRefused, default_promoter, promote_version
    from training.tracking import setup_tracking

    setup_tracking(load_settings().home)
    try:
        promotion = promote_version(
            registry_client(), model, version, by or default_promoter(), override=override
        )
    except PromotionRefused as refusal:
        error_console.print(str(refusal), style="red", markup=False)
        raise typer.Exit(1) from None
    previous = promotion.previous_champion or "none"
    for problem in promotion.overridden:
        error_console.print(f"Gate overridden: {problem}", style="yellow", markup=False)
    console.print(
        f"{model} version {promotion.version} is now champion (was {previous}), promoted by "
        f"{promotion.promoted_by} at {promotion.promoted_at}."
    )


def evaluate(
    run: Annotated[str | None, typer.Option("--run", help="Training run id.")] = None,
    model_version: Annotated[
        str | None,
        typer.Option(help="Registered version (number or alias such as champion)."),
    ] = None,
    model: ModelOption = REGISTERED_MODEL,
    recompute: Annotated[
        bool, typer.Option(help="Recompute the table from the run's logged test predictions.")
    ] = False,
    n_boot: Annotated[
        int | None, typer.Option(min=10, help="Bootstrap resamples when recomputing.")
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Print the comparison table of a logged training run (or recompute it)."""
    from models.registry import registry_client
    from settings import load_settings
    from training.logged import (
        logged_comparison,
        logged_replay_tables,
        recompute_run,
        resolve_run_id,
    )
    from training.tracking import setup_tracking

    with user_errors(), progress_for(quiet, lang) as progress:
        setup_tracking(load_settings().home)
        client = registry_client()
        run_id = resolve_run_id(client, run, model_version, model)
        progress.stage("evaluate_recompute" if recompute else "evaluate_read")
        replay: ReplayTables | None
        if recompute:
            recomputed = recompute_run(client, run_id, n_boot)
            table, lift, context = recomputed.table, recomputed.lift, recomputed.context
            evaluated = recomputed.replay
            replay = (evaluated.table, evaluated.lift, evaluated.variant)
        else:
            table, lift, context = logged_comparison(client, run_id)
            replay = logged_replay_tables(client, run_id)
    rules = tuple(context.get("rules", ("k", "2k", "5%")))
    how = "recomputed" if recompute else "as logged"
    _show(table, lift, rules, as_json, f"Run {run_id}, comparison {how}", replay)


def _show(
    table: pd.DataFrame,
    lift: pd.DataFrame,
    rules: tuple[str, ...],
    as_json: bool,
    title: str,
    replay: ReplayTables | None = None,
) -> None:
    """The student-week comparison and its paired lift, then the replay of the school year
    (the slots spent week by week with the queue's rule, counted in distinct students and
    dropouts reached, `training.replay`) and its paired differences: as rich tables, or as
    one JSON document (`training.report.comparison_to_json`) with `--json`."""
    from training.report import (
        comparison_to_json,
        render_comparison,
        render_lift,
        render_replay,
        render_replay_lift,
    )

    replay_table, replay_lift, replay_variant = replay if replay is not None else (None,) * 3
    if as_json:
        typer.echo(comparison_to_json(
            table, lift, {"rules": list(rules)},
            replay=replay_table, replay_lift=replay_lift, replay_variant=replay_variant,
        ))  # fmt: skip
        return
    console.print(render_comparison(table, rules, title))
    if len(lift):
        console.print(render_lift(lift, rules))
    if replay_table is not None:
        title = "Replay of the tested year with the weekly queue (each invited student interviewed)"
        console.print(render_replay(replay_table, title))
    if replay_lift is not None and len(replay_lift):
        console.print(render_replay_lift(replay_lift))


def _tested(folds: list[dict[str, str]]) -> str:
    years = [fold["test_year"] for fold in folds if fold.get("test_year") not in (None, "-")]
    return ", ".join(dict.fromkeys(years)) or "-"


def register(app: typer.Typer) -> None:
    for command in (train, tune, promote, evaluate):
        app.command()(command)
