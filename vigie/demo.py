"""The demo job: the main job of Vigie on the embedded synthetic académie.

Generate the demo académie (once; it is deterministic), validate it, build this week's features
with the one feature builder, train and compare the models in MLflow (`vigie train`), and print
what a newcomer needs to see that it works.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from features.catalog import ABSENTEEISM_THRESHOLD
from features.feature_set import FeatureSet
from features.pipeline import build_feature_file
from features.synth import load_config, synthesize
from vigie.settings import Settings

__all__ = ["demo_as_of", "run_demo", "summarise_features"]


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


def run_demo(settings: Settings, console: Console) -> Path:
    """Run the demo and return the feature file it wrote."""
    config = load_config()
    extraction = settings.demo_extraction
    started = time.perf_counter()
    if extraction.is_dir():
        console.print(f"Demo académie: reusing {extraction} (delete it to generate it again)")
    else:
        summary = synthesize(extraction)
        console.print(f"Demo académie: {summary}")

    as_of = demo_as_of(config.extraction_date)
    out = settings.features_dir / f"demo-{as_of.isoformat()}.parquet"
    built = time.perf_counter()
    result = build_feature_file(extraction, [as_of], out)
    feature_set = result.feature_set
    rows = ", ".join(f"{table} {count:,}" for table, count in result.report.row_counts.items())
    console.print(f"Validation: valid ({rows})")
    console.print(
        f"Features as of {as_of}: {len(feature_set.frame):,} students x "
        f"{len(feature_set.feature_columns)} features, validated and built in "
        f"{time.perf_counter() - built:.1f} s "
        f"-> {out}"
    )
    console.print(_summary_table(summarise_features(feature_set), as_of))

    # Train and compare the models on the past years, as `vigie train --data DIR` does.
    from vigie.commands.training import train

    train(data=extraction)
    console.print(f"Demo done in {time.perf_counter() - started:.0f} s.")
    return out
