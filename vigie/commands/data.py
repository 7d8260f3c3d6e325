"""Data commands: synth, validate, features, demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from features.partitions import Partition, find_partitions
from vigie.commands.cluster import ClusterOption, cluster_client, cluster_of
from vigie.commands.common import (
    LangOption,
    QuietOption,
    console,
    error_console,
    language_of,
    one_of,
    parse_date,
    progress_for,
    user_errors,
)

if TYPE_CHECKING:
    from features.cluster import ClusterSpec

__all__ = ["register"]


def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the extraction into.")],
    establishments: Annotated[
        int | None, typer.Option(min=1, help="Number of establishments.")
    ] = None,
    students: Annotated[
        int | None, typer.Option(min=1, help="Students enrolled in the last school year.")
    ] = None,
    years: Annotated[
        int | None,
        typer.Option(min=1, help="School years with outcomes, ending with the last one."),
    ] = None,
    burn_in_years: Annotated[
        int | None,
        typer.Option(
            "--burn-in-years",
            min=0,
            help="School years simulated before them, written without outcomes, so that "
            "the first year with outcomes has history features (demo: 1).",
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Random seed (same seed, same files).")
    ] = None,
    last_school_year: Annotated[
        str | None, typer.Option(help="Last school year, e.g. 2025-2026.")
    ] = None,
    extraction_date: Annotated[
        str | None,
        typer.Option(help="Date of the extraction (YYYY-MM-DD): no event on or after it."),
    ] = None,
    file_format: Annotated[
        str, typer.Option("--format", help="csv or parquet.", case_sensitive=False)
    ] = "parquet",
    scholarship_proxy: Annotated[
        bool,
        typer.Option(
            "--scholarship-proxy", help="Audit probe: late arrivals encode scholarship status."
        ),
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            help="A variant of the académie (README, Data): weak_ramp (a weaker "
            "disengagement ramp before leaving), silent (more dropouts without warning), "
            "absence_strong / absence_weak (chronic absence more / less predictive).",
        ),
    ] = None,
    label_bias: Annotated[
        str | None,
        typer.Option(
            "--label-bias",
            help="Audit probe: this group's dropouts show weaker signals "
            "(girls, boys, scholarship_holders, disadvantaged).",
        ),
    ] = None,
    academies: Annotated[
        int | None,
        typer.Option(
            "--academies",
            min=1,
            help="Write this many académies side by side, one academie=NAME/ folder each "
            "(an extraction partitioned by académie), one at a time; sizes are per académie "
            "and each académie's seed derives from --seed and its name.",
        ),
    ] = None,
    cluster: ClusterOption = None,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Write a synthetic académie, deterministic by seed.

    Options left out keep the demo académie's values (features/synth/academie.yaml). Beside
    the tables, _synth/latent.parquet holds the generator's latent risk for the replay's
    ceiling (synthetic only, not part of the data contract).
    """
    from features.synth import FileFormat, synthesize
    from features.synth.academies import synthesize_academies

    chosen_format: FileFormat = one_of(file_format, ("csv", "parquet"), "--format")
    if cluster is not None and academies is None:
        raise typer.BadParameter(
            "--cluster writes académies side by side: give --academies N", param_hint="--cluster"
        )
    where = cluster_of(cluster) if academies is not None else None
    options: dict[str, Any] = {
        "seed": seed, "establishments": establishments, "students": students, "years": years,
        "burn_in_years": burn_in_years, "last_school_year": last_school_year,
        "scholarship_proxy": scholarship_proxy or None, "label_bias": label_bias,
        "scenario": scenario, "file_format": chosen_format,
        "extraction_date": parse_date(extraction_date) if extraction_date else None,
    }  # fmt: skip
    with user_errors(), progress_for(quiet, lang) as progress:
        if academies is not None:
            if where is not None:
                progress.stage("cluster_start")
            with cluster_client(where) as client:
                summaries = synthesize_academies(
                    out, academies, client=client, progress=progress, **options
                )
            for written in summaries:
                console.print(f"Wrote {written.out_dir.name} to {out}: {written}")
            return
        summary = synthesize(out, progress=progress, **options)
    console.print(f"Wrote a synthetic académie to {out}: {summary}")


def validate(
    data: Annotated[Path, typer.Argument(help="Extraction folder (CSV or Parquet tables).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    max_examples: Annotated[
        int, typer.Option(min=1, help="Example rows shown per table, column and rule.")
    ] = 50,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Check an extraction against the data contract; report every broken rule at once.

    An extraction partitioned by académie (academie=NAME/ folders) is checked partition by
    partition, each report under its partition's name (JSON: {"partitions": {NAME: report}})."""
    from features.validation import render_report, validate_extraction

    if not data.is_dir():
        error_console.print(f"[red]Extraction folder {data} does not exist.[/red]")
        raise typer.Exit(2)
    with user_errors():
        partitions = find_partitions(data)
    if partitions[0].name is not None:
        _validate_partitions(partitions, as_json, max_examples, quiet, lang)
    with progress_for(quiet, lang) as progress:
        progress.stage("validate")
        report = validate_extraction(data, max_examples=max_examples)
    if as_json:
        typer.echo(report.to_json())
    else:
        console.print(render_report(report, language_of(lang)))
    raise typer.Exit(0 if report.ok else 1)


def _validate_partitions(
    partitions: list[Partition], as_json: bool, max_examples: int, quiet: bool, lang: str
) -> None:
    """Validate each partition, print the reports under their names, exit 0 if all are
    valid, 1 otherwise."""
    from features.jsonio import dumps
    from features.validation import render_report, validate_extraction

    reports = {}
    with progress_for(quiet, lang) as progress:
        for partition in partitions:
            progress.stage("validate")
            reports[partition] = validate_extraction(partition.path, max_examples=max_examples)
    if as_json:
        by_name = {partition.name: report.to_dict() for partition, report in reports.items()}
        typer.echo(dumps({"partitions": by_name}, indent=2, ascii=False))
    else:
        for partition, report in reports.items():
            console.print(f"[bold]{partition.label}[/bold]")
            console.print(render_report(report, language_of(lang)))
    raise typer.Exit(0 if all(report.ok for report in reports.values()) else 1)


def features(
    data: Annotated[Path, typer.Option(help="Extraction folder.")],
    as_of: Annotated[
        list[str], typer.Option("--as-of", help="As-of date (YYYY-MM-DD), repeatable.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Parquet file to write; for an extraction partitioned by académie, the "
            "folder of the partitioned dataset (academie=NAME/features.parquet)."
        ),
    ],
    cluster: ClusterOption = None,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Build one feature row per enrolled student and as-of date (events strictly before it).

    The rows are streamed to the file a batch of dates at a time: memory holds one batch.
    An extraction partitioned by académie (academie=NAME/ folders) is built one académie per
    task, on the Dask cluster of --cluster (or VIGIE_DASK_SCHEDULER) or here, into a
    partitioned dataset that appears only once every académie is built."""
    from features.catalog import feature_names
    from features.pipeline import stream_feature_file

    dates = sorted({parse_date(value) for value in as_of})
    with user_errors():
        partitioned = data.is_dir() and find_partitions(data)[0].name is not None
    if partitioned:
        _partitioned_features(data, dates, out, cluster_of(cluster), quiet, lang)
        return
    if cluster is not None:
        raise typer.BadParameter(
            f"{data} is a single extraction: --cluster needs one partitioned by académie "
            "(academie=NAME/ folders)",
            param_hint="--cluster",
        )
    with user_errors(), progress_for(quiet, lang) as progress:
        progress.stage("features", total=len(dates))
        written = stream_feature_file(data, dates, out, progress=progress.advance)
    console.print(
        f"Wrote {written.rows:,} rows x {len(feature_names())} features "
        f"for {len(dates)} as-of date(s) to {out}"
    )


def _partitioned_features(
    data: Path,
    dates: list[dt.date],
    out: Path,
    cluster: ClusterSpec | None,
    quiet: bool,
    lang: str,
) -> None:
    from features.catalog import feature_names
    from features.partitioned_features import build_partitioned_features

    with user_errors(), progress_for(quiet, lang) as progress:
        partitions = len(find_partitions(data))
        if cluster is not None:
            progress.stage("cluster_start")
        with cluster_client(cluster) as client:
            progress.stage("partition_features", total=partitions)
            written = build_partitioned_features(
                data, dates, out, client=client, progress=progress.advance
            )
    where = f"on {cluster}" if cluster is not None else "in this process"
    console.print(
        f"Wrote {written.rows:,} rows x {len(feature_names())} features for {len(dates)} "
        f"as-of date(s) of {partitions} académie(s), {where}, to {out}"
    )


def demo(
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard/--no-dashboard", help="End by serving the dashboard (Ctrl+C to stop)."
        ),
    ] = True,
    quiet: QuietOption = False,
    lang: LangOption = "fr",
) -> None:
    """Run the main job on the embedded synthetic académie: data, features, training, this
    week's lists, demo users, then the dashboard."""
    from settings import load_settings
    from vigie.commands.dashboard import dashboard as serve_dashboard
    from vigie.demo import run_demo

    with user_errors():
        with progress_for(quiet, lang) as progress:
            run_demo(load_settings(), console, progress=progress)
        if dashboard:  # once the progress display stopped: the dashboard runs until Ctrl+C
            serve_dashboard()


def register(app: typer.Typer) -> None:
    for command in (synth, validate, features, demo):
        app.command()(command)
