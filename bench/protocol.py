"""The evaluation protocol of issue 12: `python -m bench.protocol [--scenarios ...] [--seeds ...]`.

For each generator scenario (`vigie synth --scenario`, "default" meaning none) and each
generator seed, it runs what a user runs, each in a fresh process and under its own
`VIGIE_HOME` (a temporary folder): `vigie synth --out DATA --seed S [--scenario X]`, then
`vigie train --data DATA [--cv temporal|backtest:N]`. It reads the run's logged comparison
(the MLflow artifact `comparison/comparison.json`, section `replay`, as `vigie evaluate`
does) and keeps the replay of the school year of every model and baseline: distinct students
invited, future dropouts reached before they left and at least 4 weeks ahead (with their
cluster-bootstrap intervals), the share of invitations to future dropouts, and LightGBM minus
each other ranking on the same resamples (paired intervals). With `--per-year` (default for
a backtest) it also replays each tested school year on its own from the run's logged test
predictions (`training.evaluation.replay_table`, the same code as `vigie train`).

Nothing about the models or the generator is changed: the training configuration is the
default one, the académie is the demo's with only its size, seed and scenario set.

Writes the raw figures to `--out` (JSON, rewritten after every run so a stopped protocol keeps
what it measured) and a Markdown report beside it (`.md`): one table per run (model x
dropouts reached ahead, with interval), LightGBM minus the best simple baseline per run
(paired interval, "advantage gone" when it includes 0), and the spread over seeds (min,
median, max) per scenario. `--report-only` rewrites the Markdown from the JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SCENARIOS = ("default", "weak_ramp", "silent", "absence_strong", "absence_weak")
PRIMARY = "lightgbm"
# The oracle the synthetic generator allows (its latent risk): a ceiling, never a baseline.
NOT_BASELINES = (PRIMARY, "ceiling_latent")
METRICS = (
    "students_invited",
    "dropouts_reached",
    "dropouts_reached_ahead",
    "invitation_precision",
    "dropout_coverage",
    "dropout_coverage_ahead",
)
MAIN = "dropouts_reached_ahead"


def _vigie() -> str:
    found = Path(sys.executable).with_name("vigie")
    return str(found) if found.exists() else "vigie"


def run_one(scenario: str, seed: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Synthesise, train and read back one (scenario, seed)."""
    folder = Path(tempfile.mkdtemp(prefix=f"{scenario}-{seed}-", dir=work))
    data, home = folder / "data", folder / "home"
    env = dict(os.environ, VIGIE_HOME=str(home), MLFLOW_DISABLE_TELEMETRY="true")
    env.pop("MLFLOW_TRACKING_URI", None)  # its own local store, never a shared server
    synth = [
        _vigie(),
        "synth",
        "--out",
        str(data),
        "--seed",
        str(seed),
        "--establishments",
        str(args.establishments),
        "--students",
        str(args.students),
    ]
    for option in ("years", "burn_in_years"):
        if getattr(args, option) is not None:
            synth += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    if scenario != "default":
        synth += ["--scenario", scenario]
    train = [_vigie(), "train", "--data", str(data), "--cv", args.cv]
    record: dict[str, Any] = {
        "scenario": scenario, "seed": seed, "cv": args.cv,
        "establishments": args.establishments, "students": args.students,
        "years": args.years, "burn_in_years": args.burn_in_years,
        "commands": [" ".join(synth[1:]), " ".join(train[1:])],
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    try:
        for name, command in (("synth", synth), ("train", train)):
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            record[f"{name}_seconds"] = round(time.perf_counter() - started, 1)
            if done.returncode != 0:
                tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
                raise RuntimeError(f"vigie {name} failed ({done.returncode}): " + "\n".join(tail))
        comparison = _one(home, "comparison/comparison.json")
        payload = json.loads(comparison.read_text(encoding="utf-8"))
        replay = payload.get("replay") or {}
        if not replay.get("models"):
            raise RuntimeError("the run logged no replay of the school year")
        record["replay"] = _pooled(replay)
        record["context"] = payload.get("context", {})
        if args.per_year:
            started = time.perf_counter()
            record["per_year"] = per_year(_one(home, "predictions/test_predictions.parquet"),
                                          args.cv)  # fmt: skip
            record["per_year_seconds"] = round(time.perf_counter() - started, 1)
    except Exception as error:  # a failed run is recorded, the protocol goes on
        record["error"] = str(error)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return record


def _one(home: Path, artifact: str) -> Path:
    found = sorted((home / "mlflow" / "artifacts").rglob(f"artifacts/{artifact}"))
    if len(found) != 1:
        raise RuntimeError(f"expected one {artifact} under {home}, found {len(found)}")
    return found[0]


def _pooled(replay: dict[str, Any]) -> dict[str, Any]:
    """The replay's models and lift, keeping the metrics the report uses."""
    keep = [key for m in METRICS for key in (m, f"{m}_low", f"{m}_high")]
    models = {
        name: {key: row.get(key) for key in keep if key in row}
        for name, row in replay["models"].items()
    }
    for row in models.values():  # the tested year's future dropouts: reached / coverage
        reached, coverage = row.get("dropouts_reached"), row.get("dropout_coverage")
        if reached is not None and coverage:
            row["dropouts"] = round(reached / coverage)
    lift = {
        name: {key: value for key, value in row.items()
               if any(key.startswith(f"{m}_diff") for m in METRICS)}
        for name, row in (replay.get("lift") or {}).items()
    }  # fmt: skip
    return {"models": models, "lift": lift}


def per_year(predictions_path: Path, cv: str) -> dict[str, Any]:
    """The replay of each tested school year on its own, from the logged test predictions
    (without the latent ceiling, which needs the extraction)."""
    import pandas as pd

    from training.config import load_train_config
    from training.evaluation import replay_table

    config = load_train_config(None, {"cv": cv})
    predictions = pd.read_parquet(predictions_path)
    result = {}
    for year, rows in predictions.groupby("school_year", sort=True):
        table, lift = replay_table(rows.reset_index(drop=True), config)
        replay = {
            "models": json.loads(table.to_json(orient="index")),
            "lift": json.loads(lift.to_json(orient="index")) if lift is not None else {},
        }
        result[str(year)] = _pooled(replay)
    return result


# ---------------------------------------------------------------------------------------------
# The report


def best_baseline(replay: dict[str, Any], metric: str = MAIN) -> str | None:
    """The ranking other than LightGBM (and the latent ceiling) with the most `metric`; among
    ties, the one LightGBM beats by least (lowest lower bound of the paired difference), as
    `vigie promote` picks it (`training.promote.gain_evidence`), never the order of the table."""
    lift = replay.get("lift") or {}

    def lowest_bound(name: str) -> float:
        low = (lift.get(name) or {}).get(f"{metric}_diff_low")
        return -math.inf if low is None or not math.isfinite(low) else float(low)

    candidates = [
        (row[metric], -lowest_bound(name), name) for name, row in replay["models"].items()
        if name not in NOT_BASELINES and row.get(metric) is not None
    ]  # fmt: skip
    return max(candidates)[2] if candidates else None


def _n(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.3f}" if abs(value) < 1 and value != 0 else f"{value:,.0f}"


def _signed(value: float) -> str:
    return f"{value:+,.0f}"


def _with(row: dict[str, Any], metric: str) -> str:
    low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
    if low is None or high is None:
        return _n(row.get(metric))
    return f"{_n(row.get(metric))} [{_n(low)}, {_n(high)}]"


def diff_vs_best(replay: dict[str, Any], metric: str = MAIN) -> dict[str, Any] | None:
    best = best_baseline(replay, metric)
    if best is None or best not in replay.get("lift", {}):
        return None
    lift = replay["lift"][best]
    diff, low, high = (lift.get(f"{metric}_diff{s}") for s in ("", "_low", "_high"))
    return {
        "best": best, "diff": diff, "low": low, "high": high,
        "lightgbm": replay["models"][PRIMARY][metric], "baseline": replay["models"][best][metric],
        "gone": low is not None and low <= 0,
    }  # fmt: skip


def _size(record: dict[str, Any]) -> str:
    years = f", {record['years']} years" if record.get("years") else ""
    burn_in = record.get("burn_in_years")
    burn = f" + {burn_in} burn-in" if burn_in is not None else ""
    return (f"{record['establishments']} establishments x {record['students']:,} students"
            f"{years}{burn}, cv {record['cv']}")  # fmt: skip


def markdown(results: list[dict[str, Any]]) -> str:
    """The report: per run, every model's replay; LightGBM minus the best baseline; spread."""
    ok = [r for r in results if "replay" in r]
    lines = ["# Evaluation protocol (issue 12): replay of the school year under generator "
             "scenarios", ""]  # fmt: skip
    if not ok:
        return "\n".join([*lines, "No run finished.", ""])
    lines += [
        "Future dropouts reached at least 4 weeks before they left (distinct students, "
        "replay of the tested year(s)), 95 % cluster-bootstrap interval over establishments. "
        "LightGBM minus the best simple baseline (the ranking other than LightGBM, the "
        "logistic model included, with the most dropouts reached ahead; the latent ceiling "
        "is an oracle, not a baseline): paired interval on the same resamples.",
        "",
    ]
    models = [m for m in ok[0]["replay"]["models"]]
    lines += ["## LightGBM against the best baseline, per run", "",
              "| scenario | seed | size | future dropouts | LightGBM | best baseline | "
              "LightGBM minus it | advantage |",
              "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in ok:
        d = diff_vs_best(r["replay"])
        dropouts = r["replay"]["models"][PRIMARY].get("dropouts")
        if d is None:
            continue
        verdict = "**gone** (interval includes 0)" if d["gone"] else "kept"
        lines.append(
            f"| {r['scenario']} | {r['seed']} | {_size(r)} | {_n(dropouts)} | "
            f"{_with(r['replay']['models'][PRIMARY], MAIN)} | {d['best']}: "
            f"{_with(r['replay']['models'][d['best']], MAIN)} | "
            f"{_signed(d['diff'])} [{_signed(d['low'])}, {_signed(d['high'])}] | {verdict} |"
        )
    lines += ["", "## Every model and baseline, dropouts reached at least 4 weeks ahead", "",
              "| scenario | seed | " + " | ".join(models) + " |",
              "|---|---|" + "---|" * len(models)]  # fmt: skip
    for r in ok:
        cells = [_with(r["replay"]["models"].get(m, {}), MAIN) for m in models]
        lines.append(f"| {r['scenario']} | {r['seed']} | " + " | ".join(cells) + " |")
    lines += ["", "## LightGBM minus every other ranking (paired), dropouts reached ahead", "",
              "| scenario | seed | " + " | ".join(m for m in models if m != PRIMARY) + " |",
              "|---|---|" + "---|" * (len(models) - 1)]  # fmt: skip
    for r in ok:
        cells = []
        for m in models:
            if m == PRIMARY:
                continue
            lift = r["replay"]["lift"].get(m, {})
            diff = lift.get(f"{MAIN}_diff")
            cells.append("n/a" if diff is None else
                         f"{_signed(diff)} [{_signed(lift[f'{MAIN}_diff_low'])}, "
                         f"{_signed(lift[f'{MAIN}_diff_high'])}]")  # fmt: skip
        lines.append(f"| {r['scenario']} | {r['seed']} | " + " | ".join(cells) + " |")
    yearly = [r for r in ok if r.get("per_year")]
    if yearly:
        lines += ["", "## Each tested year on its own (backtest)", "",
                  "| scenario | seed | tested year | future dropouts | LightGBM | best baseline | "
                  "LightGBM minus it | advantage |",
                  "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in yearly:
            for year, replay in r["per_year"].items():
                d = diff_vs_best(replay)
                if d is None:
                    continue
                verdict = "**gone** (interval includes 0)" if d["gone"] else "kept"
                lines.append(
                    f"| {r['scenario']} | {r['seed']} | {year} | "
                    f"{_n(replay['models'][PRIMARY].get('dropouts'))} | "
                    f"{_with(replay['models'][PRIMARY], MAIN)} | {d['best']}: "
                    f"{_with(replay['models'][d['best']], MAIN)} | {_signed(d['diff'])} "
                    f"[{_signed(d['low'])}, {_signed(d['high'])}] | {verdict} |"
                )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in ok:
        groups.setdefault((r["scenario"], _size(r)), []).append(r)
    lines += ["", "## Spread over generator seeds (min / median / max)", "",
              "| scenario | size | seeds | LightGBM ahead | best baseline ahead | "
              "LightGBM minus best baseline | runs whose interval includes 0 |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for (scenario, size), runs in groups.items():
        ds = [d for d in (diff_vs_best(r["replay"]) for r in runs) if d is not None]
        if not ds:
            continue

        def spread(values: list[float]) -> str:
            return f"{min(values):,.0f} / {statistics.median(values):,.0f} / {max(values):,.0f}"

        lines.append(
            f"| {scenario} | {size} | {', '.join(str(r['seed']) for r in runs)} | "
            f"{spread([d['lightgbm'] for d in ds])} | {spread([d['baseline'] for d in ds])} | "
            f"{spread([d['diff'] for d in ds])} | {sum(d['gone'] for d in ds)} of {len(ds)} |"
        )
    failed = [r for r in results if "error" in r]
    if failed:
        lines += ["", "## Runs that failed", ""]
        lines += [f"- {r['scenario']} seed {r['seed']}: {r['error'].splitlines()[0]}"
                  for r in failed]  # fmt: skip
    lines += ["", "Commands and timings: the JSON beside this file.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.protocol",
        description="Replay of the school year, LightGBM against every baseline, under each "
        "generator scenario and several generator seeds (issue 12).",
    )
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[1],
                        help="Generator seeds (vigie synth --seed).")  # fmt: skip
    parser.add_argument("--establishments", type=int, default=100, help="Demo: 100.")
    parser.add_argument("--students", type=int, default=40_000, help="Demo: 40,000.")
    parser.add_argument(
        "--years",
        type=int,
        default=None,
        help="School years with outcomes (default: the demo's, 4).",
    )
    parser.add_argument(
        "--burn-in-years", type=int, default=None, help="Burn-in years (default: the demo's, 1)."
    )
    parser.add_argument("--cv", default="temporal", help="temporal or backtest:N.")
    parser.add_argument(
        "--per-year",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Replay each tested year on its own (default: for a backtest).",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path("var/bench/protocol"),
        help="Folder for the temporary académies and stores.",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/protocol.json"))
    parser.add_argument(
        "--append",
        action="store_true",
        help="Keep the runs already in --out (other sizes, seeds, cv).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep each run's data and store.")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="Rewrite the Markdown report from --out, run nothing.",
    )
    args = parser.parse_args(argv)
    if args.per_year is None:
        args.per_year = args.cv.startswith("backtest")
    results: list[dict[str, Any]] = []
    if (args.append or args.report_only) and args.out.is_file():
        results = json.loads(args.out.read_text(encoding="utf-8"))["runs"]
    report = args.out.with_suffix(".md")
    if not args.report_only:
        args.work.mkdir(parents=True, exist_ok=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        machine = {"cpus": os.cpu_count(), "platform": platform.platform(),
                   "python": platform.python_version()}  # fmt: skip
        for seed in args.seeds:
            for scenario in args.scenarios:
                load = os.getloadavg()[0]
                print(f"{scenario} seed {seed} ({_size(vars(args))}), load {load:.1f} ...",
                      flush=True)  # fmt: skip
                record = run_one(scenario, seed, args, args.work)
                record["load_at_start"] = round(load, 2)
                results.append(record)
                if "error" in record:
                    print(f"  failed: {record['error']}", flush=True)
                else:
                    d = diff_vs_best(record["replay"])
                    print(f"  synth {record['synth_seconds']} s, train {record['train_seconds']}"
                          f" s; LightGBM minus {d['best'] if d else '?'}: "
                          f"{d and round(d['diff'])} [{d and round(d['low'])}, "
                          f"{d and round(d['high'])}]", flush=True)  # fmt: skip
                args.out.write_text(json.dumps({"machine": machine, "runs": results}, indent=1),
                                    encoding="utf-8")  # fmt: skip
                report.write_text(markdown(results), encoding="utf-8")
    report.write_text(markdown(results), encoding="utf-8")
    print(f"Wrote {args.out} and {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
