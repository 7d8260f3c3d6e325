"""Regression check, side by side: `python -m bench.compare KIND --baseline REV [-- OPTIONS]`.

KIND is `weekly` (`python -m bench.weekly`: the weekly run's stages, then the list endpoint
under concurrent clients) or `dashboard` (`python -m bench.dashboard`: the dashboard pages in
a real browser). The whole tree of git revision REV is exported with `git archive` under
`--work` (once), and the same benchmark command runs `--rounds` times for each side,
interleaved (the earlier code, then the current, then the earlier again...), so that both see
the same machine load. Each run of the earlier code runs in the export, `cwd` and
`PYTHONPATH` pointing at it: its own `bench` harness, and every package it imports (the
`vigie` command lines its harness starts included) comes from the export, not from the
project's editable install (whose finder comes after `PYTHONPATH`); checked in a child
process before the first run. With `--current REV2`, revision REV2, exported the same way,
stands for the current code (so that the working tree can change while the check runs).

OPTIONS after `--` go to both benchmark commands unchanged (`--students`, `--duration`,
`--repeat`...); `--work` and `--out` are set here. Data: by default each side has its own
work folder (`--work/compare-KIND-<side>`), where its own code trains its model (and, for the
dashboard, prepares everything); the weekly académie is generated once and shared (a symbolic
link in each folder). With `--same-work`, both sides share one work folder: the model (and the
dashboard's prepared stores) made once by the side that runs first, which holds only while
their formats are compatible.

Prints a table of medians over every run of each side and their ratio, earlier over current
(above 1: the current code takes less time, or, for requests/s, serves fewer requests), and
writes the raw reports, the medians and the ratios to `bench/results/compare-KIND.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
KINDS = {"weekly": "bench.weekly", "dashboard": "bench.dashboard"}
# Whose `bench` harness drives each side by default: the weekly one calls the packages'
# functions in its child processes (each revision's own harness fits its own code); the
# dashboard's drives only the `vigie` commands and a browser (one harness for both sides).
HARNESS = {"weekly": "own", "dashboard": "current"}
_CLI = "import sys; from vigie.cli import main; sys.exit(main())"


def vigie_command(*args: str) -> list[str]:
    """A `vigie` command line that imports the CLI as any other module (from `PYTHONPATH`
    first), not through the console script of the installed tree."""
    return [sys.executable, "-c", _CLI, *args]


@dataclass(frozen=True)
class Side:
    """One version of the code: a label, the folder it runs in."""

    label: str
    root: Path

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment of its processes: its folder first on the import path."""
        environment = dict(os.environ if base is None else base)
        environment["PYTHONPATH"] = str(self.root)
        return environment


def export_revision(revision: str, work: Path, repo: Path = REPO) -> Side:
    """The whole tree of git revision `revision`, exported under `work` (once; an export
    left half-written is made again)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", f"{revision}^{{commit}}"],
        check=True, capture_output=True, text=True, cwd=repo,
    ).stdout.strip()  # fmt: skip
    folder = (work / f"code-{commit}").resolve()
    if not (folder / ".exported").is_file():
        partial = folder.with_name(f"{folder.name}.partial")
        subprocess.run(["rm", "-rf", str(partial), str(folder)], check=True)
        partial.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit], check=True, capture_output=True, cwd=repo
        )
        subprocess.run(["tar", "-x", "-C", str(partial)], input=archive.stdout, check=True)
        (partial / ".exported").write_text(commit + "\n")
        partial.rename(folder)
    return Side(commit, folder)


def with_current_harness(side: Side, work: Path) -> Side:
    """A copy of `side`'s tree whose `bench` harness is this tree's (made again each time,
    since the harness may have changed): the earlier code driven by the current harness."""
    folder = work / f"{side.root.name}-harness"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(side.root, folder, symlinks=True, ignore=shutil.ignore_patterns("bench"))
    shutil.copytree(
        REPO / "bench", folder / "bench", ignore=shutil.ignore_patterns("results", "__pycache__")
    )
    return Side(side.label, folder)


def packages(root: Path) -> list[str]:
    """The top-level packages of a tree (folders holding an `__init__.py`)."""
    return sorted(
        path.parent.name for path in root.glob("*/__init__.py") if path.parent.name != "tests"
    )


def resolved_modules(
    side: Side, names: list[str], script_dir: Path | None = None
) -> dict[str, str]:
    """Where a child process of `side` imports each of `names` from (`module.__file__`);
    with `script_dir`, as a console script there would (its folder first on `sys.path`)."""
    code = (
        "import importlib, json, sys\n"
        + (f"sys.path.insert(0, {str(script_dir)!r})\n" if script_dir else "")
        + f"print(json.dumps({{n: importlib.import_module(n).__file__ for n in {names!r}}}))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=side.root, env=side.environment(),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def check_resolution(side: Side) -> None:
    """Every package of `side` is imported from its folder, as `-m`/`-c` children and as the
    `vigie` console script would; raises SystemExit naming the first that is not."""
    names = packages(side.root)
    for script_dir in (None, Path(sys.executable).parent):
        for name, file in resolved_modules(side, names, script_dir).items():
            if not Path(file).resolve().is_relative_to(side.root):
                raise SystemExit(
                    f"code of {side.label}: package {name} is imported from {file}, "
                    f"not from {side.root}"
                )


# --- the figures of one report -------------------------------------------------------------


def weekly_figures(report: dict[str, Any]) -> dict[str, list[float]]:
    """Each figure of one `bench.weekly` report, every run of it (weekly runs, API runs)."""
    figures: dict[str, list[float]] = {}
    for run in report["weekly_runs"]:
        for stage, seconds in run["stages"].items():
            figures.setdefault(f"weekly run: {stage} (s)", []).append(seconds)
        figures.setdefault("weekly run: whole (s)", []).append(run["seconds"])
        figures.setdefault("weekly run: peak RSS (MB)", []).append(run["peak_rss_mb"])
    for run in report.get("api_runs") or [report["api"]]:
        for key, name in (
            ("p50_ms", "list endpoint: p50 (ms)"),
            ("p99_ms", "list endpoint: p99 (ms)"),
            ("requests_per_s", "list endpoint: requests/s"),
            ("server_cpu_ms_per_request", "list endpoint: server CPU per request (ms)"),
        ):
            if key in run:
                figures.setdefault(name, []).append(run[key])
        errors = sum(n for code, n in run["statuses"].items() if code != "200")
        figures.setdefault("list endpoint: non-200 answers", []).append(errors)
    return figures


def dashboard_figures(report: dict[str, Any]) -> dict[str, list[float]]:
    """Each page's seconds in one `bench.dashboard` report: the first visit after the server
    started apart, then the others."""
    figures: dict[str, list[float]] = {}
    for page, values in report["runs_s"].items():
        figures.setdefault(f"{page} (first after start)", []).append(values[0])
        figures.setdefault(page, []).extend(values[1:])
    return figures


FIGURES = {"weekly": weekly_figures, "dashboard": dashboard_figures}


def pooled(reports: list[dict[str, Any]], kind: str) -> dict[str, list[float]]:
    """Every run of each figure over a side's reports, in the order they ran."""
    figures: dict[str, list[float]] = {}
    for report in reports:
        for name, values in FIGURES[kind](report).items():
            figures.setdefault(name, []).extend(values)
    return figures


def compare(
    earlier: dict[str, list[float]], current: dict[str, list[float]]
) -> list[dict[str, Any]]:
    """One row per figure both sides have: medians and their ratio, earlier over current."""
    rows = []
    for name in [name for name in current if name in earlier]:
        before, after = statistics.median(earlier[name]), statistics.median(current[name])
        rows.append(
            {
                "figure": name,
                "earlier": before,
                "current": after,
                "earlier_over_current": before / after if after else None,
                "runs": [len(earlier[name]), len(current[name])],
            }
        )
    return rows


# --- the runs ------------------------------------------------------------------------------


def _work_folders(
    kind: str, names: dict[str, str], work: Path, students: int, same_work: bool, fresh: bool
) -> dict[str, Path]:
    """Each side's `--work` (`names`: side label -> its folder's suffix), made again with
    `fresh`; the weekly académie shared between them (one folder, linked in each)."""
    if same_work:
        return dict.fromkeys(names, work)
    folders = {label: work / f"compare-{kind}-{name}" for label, name in names.items()}
    for folder in folders.values():
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "weekly":
            shared = work / f"academie-{students}"
            shared.mkdir(parents=True, exist_ok=True)
            link = folder / shared.name
            if not link.is_symlink():
                link.symlink_to(shared, target_is_directory=True)
    return folders


def run_once(kind: str, side: Side, options: list[str], work: Path, out: Path) -> dict[str, Any]:
    """One benchmark command of `side`; its report, or the reason it failed."""
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", KINDS[kind], *options, "--work", str(work), "--out", str(out)]
    completed = subprocess.run(command, cwd=side.root, env=side.environment(), check=False)
    if completed.returncode != 0 or not out.is_file():
        return {"failed": f"exit code {completed.returncode}"}
    return json.loads(out.read_text())


def _print_table(rows: list[dict[str, Any]], earlier: str, current: str, title: str) -> None:
    """The medians of both sides and their ratio (`-` where the current median is 0)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in ("figure", earlier, current, "earlier/current"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    table.add_column("runs", justify="right")
    for row in rows:
        table.add_row(
            row["figure"],
            f"{row['earlier']:,.2f}",
            f"{row['current']:,.2f}",
            "-" if row["earlier_over_current"] is None else f"{row['earlier_over_current']:.2f}",
            "{} / {}".format(*row["runs"]),
        )
    Console(width=140).print(table)


def main(argv: list[str] | None = None) -> None:
    given = sys.argv[1:] if argv is None else argv
    arguments = list(given)
    passed: list[str] = []
    if "--" in arguments:
        at = arguments.index("--")
        arguments, passed = arguments[:at], arguments[at + 1 :]
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--baseline", required=True, help="git revision of the earlier code")
    parser.add_argument("--current", help="git revision run as the current code")
    parser.add_argument("--rounds", type=int, default=3, help="Commands run for each side.")
    parser.add_argument("--same-work", action="store_true", help="One work folder for both.")
    parser.add_argument(
        "--harness",
        choices=("own", "current"),
        help="The bench harness of each revision (own) or this tree's for both (current); "
        "default: own for weekly, current for dashboard.",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="Remove each side's work folder first."
    )
    parser.add_argument("--work", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--out", type=Path, default=None)
    options = parser.parse_args(arguments)
    if options.fresh and options.same_work:
        parser.error("--fresh removes each side's own folder: not with --same-work")
    students = argparse.ArgumentParser(add_help=False)
    students.add_argument("--students", type=int, default=300_000)
    student_count = students.parse_known_args(passed)[0].students

    work = options.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    earlier = export_revision(options.baseline, work)
    current = export_revision(options.current, work) if options.current else Side("current", REPO)
    harness = options.harness or HARNESS[options.kind]
    if harness == "current":
        earlier = with_current_harness(earlier, work)
        if options.current:
            current = with_current_harness(current, work)
    if earlier.label == current.label:
        raise SystemExit(f"--baseline and --current are both {earlier.label}")
    sides = [earlier, current]
    for side in sides:
        check_resolution(side)
    # The current tree's own folder is named for its commit: a preparation made by another
    # commit's code is not reused (uncommitted changes since the last run: --fresh).
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True,
        cwd=REPO,
    ).stdout.strip()  # fmt: skip
    names = {side.label: side.label for side in sides}
    if not options.current:
        names[current.label] = f"current-{head}"
    folders = _work_folders(
        options.kind, names, work, student_count, options.same_work, options.fresh
    )
    reports: dict[str, list[dict[str, Any]]] = {side.label: [] for side in sides}
    load_before = os.getloadavg()
    started = time.perf_counter()
    for round_number in range(1, options.rounds + 1):
        for side in sides:
            print(f"\n=== round {round_number}/{options.rounds}: {side.label} ({side.root}), "
                  f"load {os.getloadavg()[0]:.1f} ===", flush=True)  # fmt: skip
            out = work / f"compare-{options.kind}-{side.label}-{round_number}.json"
            report = run_once(options.kind, side, passed, folders[side.label], out)
            reports[side.label].append(report)
            if "failed" in report:
                print(f"=== {side.label}, round {round_number}: FAILED ({report['failed']})")
    finished = {
        side.label: [report for report in reports[side.label] if "failed" not in report]
        for side in sides
    }
    if not all(finished.values()):
        raise SystemExit("no finished run for one side: nothing to compare")
    figures = {label: pooled(runs, options.kind) for label, runs in finished.items()}
    rows = compare(figures[earlier.label], figures[current.label])
    title = (
        f"{KINDS[options.kind]}, {' '.join(passed) or 'default options'}: medians over "
        f"{options.rounds} interleaved rounds of each side"
    )
    current_column = f"code of {current.label}" if options.current else f"current tree ({head})"
    _print_table(rows, f"code of {earlier.label}", current_column, title)
    out = options.out or REPO / "bench" / "results" / f"compare-{options.kind}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "command": "python -m bench.compare " + " ".join(given),
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "load_average": {"start": load_before, "end": os.getloadavg()},
                "baseline": earlier.label,
                "current": current.label,
                "same_work": options.same_work,
                "harness": harness,
                "rows": rows,
                "figures": figures,
                "reports": reports,
                "total_seconds": time.perf_counter() - started,
            },
            indent=2,
        )
    )
    print(f"Written to {out}")


if __name__ == "__main__":
    main()
