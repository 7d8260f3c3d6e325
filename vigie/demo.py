"""The demo job: the main job of Vigie on the embedded synthetic académie.

Generate the demo académie (once; it is deterministic), validate it, build the features of the
demo's weeks (from the rentrée to this week, `vigie.demo_history.demo_weeks`) in one build
with the one feature builder, train and compare the models in MLflow (`vigie train`), make the
model champion, write the lists of every week oldest first as `vigie score` does, with the
decisions of a synthetic watch unit in the past weeks (`vigie.demo_history`), create a demo
user of each role, and open the dashboard. The académie is generated again when its
configuration (`features/synth/academie.yaml`) changed since it was written, so a checkout that
changes the demo's size never trains on a stale one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from features.catalog import ABSENTEEISM_THRESHOLD
from features.feature_set import FeatureSet
from features.pipeline import validate_and_build
from features.progress import SILENT, Progress
from features.store import read_features, write_features
from features.synth import SynthConfig, load_config, synthesize
from features.synth.latent_file import LATENT_PATH
from settings import Settings
from vigie.demo_history import DemoWeek, demo_weeks

__all__ = ["config_fingerprint", "demo_as_of", "run_demo", "summarise_features"]


def config_fingerprint(config: SynthConfig) -> str:
    """SHA-256 of the validated generator configuration: what the demo extraction was made
    from. Two configurations with the same values have the same fingerprint."""
    return hashlib.sha256(config.model_dump_json().encode("utf-8")).hexdigest()


def demo_as_of(extraction_date: dt.date) -> dt.date:
    """The Monday of the weekly run that follows an extraction: the first Monday on or after
    it (events are all dated before the extraction, hence before the as-of date)."""
    return extraction_date + dt.timedelta(days=(7 - extraction_date.weekday()) % 7)


def summarise_features(feature_set: FeatureSet) -> pd.DataFrame:
    """One row per establishment kind: how many students, and how many show warning signs."""
    frame = feature_set.frame
    over = frame["unjustified_absences_4w"] >= ABSENTEEISM_THRESHOLD
    grouped = frame.assign(over_threshold=over).groupby("establishment_kind", observed=True)
    return pd.DataFrame(
        {
            "establishments": grouped["uai"].nunique(),
            "students": grouped.size(),
            "mean_unjustified_4w": grouped["unjustified_absences_4w"].mean(),
            "share_over_threshold_4w": grouped["over_threshold"].mean(),
            "median_grade_ytd": grouped["grade_mean_ytd"].median(),
        }
    )


def _summary_table(summary: pd.DataFrame, as_of: dt.date) -> Table:
    table = Table(title=f"Students enrolled on {as_of:%A %d %B %Y}, by kind of establishment")
    for column in (
        "kind",
        "schools",
        "students",
        "unjustified, 4 w (mean)",
        f"{ABSENTEEISM_THRESHOLD}+ unjustified, 4 w",
        "grade so far (median)",
    ):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, row in summary.iterrows():
        table.add_row(
            str(kind),
            f"{row['establishments']:.0f}",
            f"{row['students']:,.0f}",
            f"{row['mean_unjustified_4w']:.1f}",
            f"{row['share_over_threshold_4w']:.1%}",
            f"{row['median_grade_ytd']:.1f}/20",
        )
    return table


def _write_week_files(feature_set: FeatureSet, folder: Path) -> dict[dt.date, Path]:
    """One feature file per as-of date, `demo-<date>.parquet` (what the dashboard reads for
    a week's list and its drift page)."""
    frame = feature_set.frame
    files: dict[dt.date, Path] = {}
    for stamp in frame["as_of"].unique():
        day = pd.Timestamp(stamp).date()
        files[day] = folder / f"demo-{day.isoformat()}.parquet"
        write_features(FeatureSet.from_frame(frame[frame["as_of"] == stamp]), files[day])
    return files


def _week_line(week: DemoWeek) -> str:
    """A week the demo wrote, in counts (never a name)."""
    written = week.written
    line = (
        f"Week of {written.week}: {written.establishments} lists, {written.invited} to invite, "
        f"{written.watched} to watch, {written.followed} in follow-up"
    )
    if week.decisions:
        line += f"; {week.decisions} decisions of the synthetic watch unit"
    return line + "."


def run_demo(
    settings: Settings, console: Console, dashboard: bool = False, progress: Progress = SILENT
) -> Path:
    """Run the demo and return the feature file of its week; with `dashboard`, end by
    serving the dashboard (until interrupted). `progress` is told each stage."""
    config = load_config()
    extraction = settings.demo_extraction
    stamp = settings.demo_fingerprint
    fingerprint = config_fingerprint(config)
    started = time.perf_counter()
    made_from = stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else None
    # An extraction from before the generator wrote its latent risk (the replay's ceiling,
    # `features.synth.latent_file`) is generated again.
    has_latent = (extraction / LATENT_PATH).is_file()
    if extraction.is_dir() and made_from == fingerprint and has_latent:
        console.print(f"Demo académie: reusing {extraction} (delete it to generate it again)")
    else:
        if extraction.is_dir():
            why = ("another configuration" if made_from != fingerprint
                   else "an older generator (no latent risk for the ceiling)")  # fmt: skip
            console.print(f"Demo académie: {extraction} was made from {why}; generating it again")
        stamp.unlink(missing_ok=True)
        summary = synthesize(extraction, config=config, progress=progress)
        stamp.write_text(fingerprint + "\n", encoding="utf-8")
        console.print(f"Demo académie: {summary}")

    as_of = demo_as_of(config.extraction_date)
    weeks = demo_weeks(as_of)
    built = time.perf_counter()
    progress.stage("demo_features", total=len(weeks))
    result = validate_and_build(extraction, weeks)  # one build over all the weeks
    files = _write_week_files(result.feature_set, settings.features_dir)
    out = files[as_of]
    feature_set = read_features(out)
    rows = ", ".join(f"{table} {count:,}" for table, count in result.report.row_counts.items())
    del result
    console.print(f"Validation: valid ({rows})")
    console.print(
        f"Features of {len(weeks)} weeks, {weeks[0]} to {as_of}, validated and built in "
        f"{time.perf_counter() - built:.1f} s -> {settings.features_dir}/demo-<week>.parquet; "
        f"as of {as_of}: {len(feature_set.frame):,} students x "
        f"{len(feature_set.feature_columns)} features"
    )
    console.print(_summary_table(summarise_features(feature_set), as_of))
    del feature_set

    # Train and compare the models on the past years, as `vigie train --data DIR` does.
    from vigie.commands.training import train

    train(data=extraction)

    # The weeks' lists in the store, and a user of each role to open them in the dashboard.
    from training.config import TrainConfig
    from vigie.demo_history import score_demo_weeks
    from vigie.demo_serving import demo_watch_unit_uai, ensure_demo_users, promote_demo_champion

    progress.stage("promote")
    promote_demo_champion(TrainConfig().registered_model_name, console)
    progress.stage("demo_weeks", total=len(weeks))
    scored = time.perf_counter()

    def on_week(week: DemoWeek) -> None:
        console.print(_week_line(week), markup=False)
        progress.advance()

    score_demo_weeks(
        extraction,
        lambda week: read_features(files[week]),
        weeks,
        seed=config.seed,
        on_week=on_week,
    )
    console.print(f"Lists of {len(weeks)} weeks written in {time.perf_counter() - scored:.0f} s.")
    progress.stage("demo_users")
    ensure_demo_users(demo_watch_unit_uai(as_of), console)
    console.print(f"Demo done in {time.perf_counter() - started:.0f} s.")
    if dashboard:
        from vigie.commands.dashboard import dashboard as serve_dashboard

        serve_dashboard()
    return out
