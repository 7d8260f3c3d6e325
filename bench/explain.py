"""Explanation benchmarks: `python -m bench.explain [--students 300000] [--repeat 1]`.

Prepares once (cached under `--work`): a synthetic académie of two school years (2024-2025,
2025-2026; 12,000 students in 30 establishments), a risk model trained as `vigie train` fits it
(default parameters: 200 trees of 8 leaves, cross-fitted calibration) on the monthly snapshots
of 2024-2025, and the features of every student enrolled on Monday 16 March 2026. Then it builds
a week of `--students` rows cheaply by resampling whole establishments: each new establishment
copies one source establishment (its size and interview capacity) and draws its rows with
replacement from that establishment's rows, so establishment-level features stay consistent.

Then measures, each in a fresh process (peak RSS its own; the rows are read before the clock
starts), LightGBM's single thread as the model is saved:

- `lightgbm`: TreeSHAP contributions of every row with LightGBM's `pred_contrib` (chunks of
  50,000, `models.contributions.iter_contributions`);
- `shap`: `shap.TreeExplainer(booster)` on the same rows (its public path, which delegates to
  LightGBM's `pred_contrib` for a LightGBM booster);
- `shap_cext`: shap's own C++ TreeSHAP on the trees it parsed (forced by marking the parsed
  ensemble as `internal`), an independent implementation;
- `lists`: the weekly lists of the académie (each establishment's capacity rows with the
  highest risk, ties by student id: `models.ranking`) explained in full
  (`RiskModel.explain(rows=...)`: contributions, top 3 reasons and protective factors,
  references over the whole week, French and English text), with the time of scoring every
  row to make the lists reported apart;
- `all_reasons` (with `--all-reasons`): `RiskModel.explain` of every row.

For `shap` and `shap_cext`, the maximum absolute difference from LightGBM's values is computed
chunk by chunk after each chunk's timing (not counted). Prints a table and writes the raw runs
to `bench/results/explain.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

SCHOOL_YEAR, TRAIN_YEAR = "2025-2026", "2024-2025"
EXTRACTION_DATE = dt.date(2026, 7, 10)  # after the last class day of 2025-2026
AS_OF = dt.date(2026, 3, 16)
SOURCE_STUDENTS, SOURCE_ESTABLISHMENTS = 12_000, 30
CHUNK_ROWS = 50_000
STAGES = ("lightgbm", "shap", "shap_cext", "lists", "all_reasons")


def prepare(work: Path, students: int, console: Console) -> dict[str, str]:
    """The model folder and the resampled week of `students` rows (both cached)."""
    from features.extraction import open_extraction
    from features.pipeline import build_valid_features
    from features.synth import synthesize
    from models.risk_model import RiskModel
    from training.snapshots import build_snapshots, snapshot_dates

    work.mkdir(parents=True, exist_ok=True)
    data, model_dir = work / "academie", work / "model"
    week_path = work / f"week-{students}.parquet"
    if not (data / "students.parquet").is_file():
        console.print(f"Generating {SOURCE_STUDENTS:,} students over two school years (once)...")
        synthesize(data, establishments=SOURCE_ESTABLISHMENTS, students=SOURCE_STUDENTS,
                   years=2, seed=17, file_format="parquet", last_school_year=SCHOOL_YEAR,
                   extraction_date=EXTRACTION_DATE)  # fmt: skip
    if not (model_dir / "booster.txt").is_file():
        console.print(f"Training the risk model on the monthly snapshots of {TRAIN_YEAR}...")
        with open_extraction(data) as extraction:
            train = build_snapshots(extraction, snapshot_dates(TRAIN_YEAR, "monthly"))
        train = train[train["label_dropped_out"].notna()].reset_index(drop=True)
        RiskModel(seed=0).fit(train, train["label_dropped_out"], groups=train["student_id"]).save(
            model_dir
        )
        (work / "model_rows.txt").write_text(
            f"{len(train)} {int(train['label_dropped_out'].sum())}"
        )
    if not week_path.is_file():
        console.print(f"Resampling the week of {AS_OF} to {students:,} rows...")
        source = build_valid_features(data, [AS_OF]).frame
        capacities = pd.read_parquet(data / "establishments.parquet").set_index("uai")[
            "weekly_interview_capacity"
        ]
        resample_week(source, capacities, students, seed=3).to_parquet(week_path, index=False)
    return {"model": str(model_dir), "week": str(week_path)}


def resample_week(
    source: pd.DataFrame, capacities: pd.Series, students: int, seed: int
) -> pd.DataFrame:
    """About `students` rows made of resampled establishments (see the module docstring), with
    new pseudonymous ids, new uai and a `weekly_interview_capacity` column."""
    rng = np.random.default_rng(seed)
    groups = {uai: part.index.to_numpy() for uai, part in source.groupby("uai")}
    sources = list(groups)
    picked, uais, capacity = [], [], []
    total, number = 0, 0
    while total < students:
        origin = sources[rng.integers(len(sources))]
        size = min(len(groups[origin]), students - total)
        picked.append(rng.choice(groups[origin], size=size, replace=True))
        uai = f"{9_000_000 + number:07d}Z"
        uais.append(np.full(size, uai, dtype=object))
        capacity.append(np.full(size, int(capacities[origin])))
        total, number = total + size, number + 1
    week = source.loc[np.concatenate(picked)].reset_index(drop=True)
    week["uai"] = pd.array(np.concatenate(uais), dtype="str")
    week["student_id"] = pd.array([f"B{i:07d}" for i in range(len(week))], dtype="str")
    week["weekly_interview_capacity"] = np.concatenate(capacity)
    return week


def measure(stage: str, model_dir: str, week_path: str) -> dict[str, Any]:
    """One stage on the prepared week; seconds and peak memory of this process."""
    from models.contributions import iter_contributions
    from models.ranking import list_ranks
    from models.risk_model import RiskModel

    model = RiskModel.load(model_dir)
    week = pd.read_parquet(week_path)
    result: dict[str, Any] = {"stage": stage, "rows": len(week)}
    timed: float | None = None  # set by stages that time only part of their work
    start = time.perf_counter()
    if stage == "lightgbm":
        for chunk in iter_contributions(model, week, CHUNK_ROWS):
            del chunk
    elif stage in ("shap", "shap_cext"):
        import shap

        explainer = shap.TreeExplainer(model.booster_)
        if stage == "shap_cext":
            explainer.model.model_type = "internal"  # run shap's own TreeSHAP, not LightGBM's
        seconds, worst, additivity = 0.0, 0.0, 0.0
        for begin in range(0, len(week), CHUNK_ROWS):
            encoded = model.encode(week.iloc[begin : begin + CHUNK_ROWS])
            clock = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # shap's notice about LightGBM binary output
                values = explainer.shap_values(encoded, check_additivity=False)
            seconds += time.perf_counter() - clock
            reference = model.contributions(encoded).to_numpy()
            worst = max(worst, float(np.abs(values - reference[:, :-1]).max()))
            expected = np.ravel(explainer.expected_value)[0]
            raw = reference.sum(axis=1)
            additivity = max(additivity, float(np.abs(values.sum(axis=1) + expected - raw).max()))
        result |= {"max_abs_difference": worst, "max_additivity_error": additivity}
        timed = seconds
    elif stage == "lists":
        risk = model.score(week)
        scored = time.perf_counter() - start
        rank = list_ranks(risk, week["student_id"], week["uai"])  # the weekly lists' order
        rows = np.flatnonzero(rank <= week["weekly_interview_capacity"].to_numpy())
        explain_start = time.perf_counter()
        explained = model.explain(week, top=3, rows=rows)
        result |= {"list_rows": len(rows), "reasons": len(explained.reasons),
                   "score_all_seconds": scored,
                   "explain_lists_seconds": time.perf_counter() - explain_start}  # fmt: skip
    elif stage == "all_reasons":
        explained = model.explain(week, top=3)
        result["reasons"] = len(explained.reasons)
    else:
        raise SystemExit(f"unknown stage {stage!r}: {', '.join(STAGES)}")
    result["seconds"] = time.perf_counter() - start if timed is None else timed
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _child(stage: str, prepared: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.explain", "--measure", stage, prepared["model"],
         prepared["week"]],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.explain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--students", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--all-reasons", action="store_true", help="also explain every row")
    parser.add_argument("--work", type=Path, default=Path("var/bench/explain"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/explain.json"))
    parser.add_argument("--measure", nargs=3, metavar=("STAGE", "MODEL", "WEEK"),
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.measure:
        print(json.dumps(measure(*options.measure)))
        return
    if options.prepare:
        prepared = prepare(options.work, options.students, Console(stderr=True))
        print(json.dumps(prepared))
        return
    console = Console()
    started = time.perf_counter()
    # Prepared in a child too: children inherit their parent's peak RSS on Linux.
    prepared = json.loads(subprocess.run(
        [sys.executable, "-m", "bench.explain", "--prepare", "--students", str(options.students),
         "--work", str(options.work)],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout.strip().splitlines()[-1])  # fmt: skip
    stages = [s for s in STAGES if s != "all_reasons" or options.all_reasons]
    runs: dict[str, list[dict[str, Any]]] = {}
    for repeat in range(options.repeat):
        for stage in stages:
            result = _child(stage, prepared)
            runs.setdefault(stage, []).append(result)
            console.print(f"  run {repeat + 1}: {json.dumps(result)}")
    table = Table(title=f"Explanations of {options.students:,} rows, median of {options.repeat}")
    for column in ("stage", "rows", "time (s)", "peak RSS (MB)", "max |diff| vs LightGBM",
                   "max additivity error"):  # fmt: skip
        table.add_column(column, justify="left" if column == "stage" else "right")
    medians: dict[str, dict[str, float]] = {}
    for stage, results in runs.items():
        numeric = [k for k, v in results[0].items() if isinstance(v, int | float)]
        entry = {key: statistics.median(run[key] for run in results) for key in numeric}
        medians[stage] = entry
        rows = entry.get("list_rows", entry["rows"])
        table.add_row(stage, f"{int(rows):,}", f"{entry['seconds']:.1f}",
                      f"{entry['peak_rss_mb']:,.0f}",
                      f"{entry['max_abs_difference']:.2e}" if "max_abs_difference" in entry else "",
                      f"{entry['max_additivity_error']:.2e}"
                      if "max_additivity_error" in entry else "")  # fmt: skip
    console.print(table)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps({
        "command": "python -m bench.explain " + " ".join(argv if argv is not None
                                                         else sys.argv[1:]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average": os.getloadavg()},
        "prepared": prepared, "medians": medians, "runs": runs,
        "total_seconds": time.perf_counter() - started,
    }, indent=2))  # fmt: skip
    console.print(f"Raw runs and medians written to {options.out}")


if __name__ == "__main__":
    main()
