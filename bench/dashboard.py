"""Dashboard pages on a large académie, in a real browser: `python -m bench.dashboard`.

Prepares once (cached under `--work`, default `var/bench/dashboard-<N>`), with the `vigie`
commands a user runs, under its own `VIGIE_HOME` (MLflow store, SQLite store, feature files):

1. `vigie synth`: an académie of `--students` students in its last school year (N / 500
   establishments) over four school years, 2023-2024 to 2026-2027, extracted on Friday 27
   November 2026, as the demo's is;
2. `vigie train` at explicit as-of dates, three Mondays (October, January, March) of each
   complete year instead of the default cadences (about 2.7 M student-dates instead of 15 M):
   the default temporal split trains on 2023-2024 and tests 2025-2026 (outcomes are known in
   the autumn after a year), the registered model learns every consolidated year; the
   fairness audit runs at its end, as always;
3. `vigie promote --override` (the benchmark is not a promotion decision);
4. `vigie features` and `vigie score` for the week of Monday 23 November 2026: the lists of
   every establishment in the store, and the week's feature file for the drift page;
5. `vigie users add`: an inspector, a data scientist and a watch unit.

Then serves the dashboard (`vigie dashboard`'s `streamlit run`, its own process, loopback)
and drives Debian's Chromium with Playwright, `--repeat` times, each in a new browser page:
sign in as the inspector (whose landing page is the fairness audit of the champion) and time
from the click to the audit's disparity chart on screen; then the model card, the data
scientist's models and drift pages, and the watch unit's list. Prints the first run (the
first sign-in after the server started) apart and the median of the others, and writes every
run to `bench/results/dashboard.json`. Target (issue 6): the inspector's audit page on
a 300,000-student académie under 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from app_dashboard.serve import dashboard_server
from app_dashboard.wording import text as label
from bench.compare import vigie_command

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "dashboard.json"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench-dashboard-2026"  # synthetic académie only
EXTRACTION_DATE = "2026-11-27"
WEEK = "2026-11-23"
TRAIN_DATES = (
    "2023-10-02", "2024-01-08", "2024-03-11",
    "2024-10-07", "2025-01-06", "2025-03-10",
    "2025-10-06", "2026-01-05", "2026-03-09",
)  # fmt: skip
USERS = (
    ("inspecteur.bench", "inspector", ()),
    ("datascientist.bench", "data_scientist", ()),
)
WAIT_MS = 180_000


def _vigie(env: dict[str, str], *args: str, stdin: str | None = None) -> float:
    """Run one `vigie` command; its wall time."""
    started = time.perf_counter()
    print(f"  $ vigie {' '.join(args)}", flush=True)
    subprocess.run(
        vigie_command(*args),
        env=env, input=stdin, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return time.perf_counter() - started


def _first_uai(extraction: Path) -> str:
    import pandas as pd

    return str(sorted(pd.read_parquet(extraction / "establishments.parquet")["uai"])[0])


def prepare(work: Path, students: int, env: dict[str, str]) -> dict[str, float]:
    """Everything the dashboard reads, made once; the wall time of each step."""
    done = work / "prepared.json"
    if done.is_file():
        return json.loads(done.read_text())["seconds"]
    extraction = work / "academie"
    features = work / "home" / "features" / f"bench-{WEEK}.parquet"
    seconds = {
        "synth": _vigie(env, "synth", "--out", str(extraction), "--students", str(students),
                        "--establishments", str(max(students // 500, 2)), "--years", "4",
                        "--extraction-date", EXTRACTION_DATE, "--seed", "20261128"),
        "train": _vigie(env, "train", "--data", str(extraction),
                        *[arg for day in TRAIN_DATES for arg in ("--as-of", day)]),
        "promote": _vigie(env, "promote", "--version", "1", "--by", "bench.dashboard",
                          "--override", "Benchmark of the dashboard: not a promotion decision."),
        "features": _vigie(env, "features", "--data", str(extraction), "--as-of", WEEK,
                           "--out", str(features)),
        "score": _vigie(env, "score", "--data", str(extraction), "--as-of", WEEK),
    }  # fmt: skip
    users = (*USERS, ("cpe.bench", "watch_unit", (_first_uai(extraction),)))
    for username, role, scope in users:
        scoped = [arg for uai in scope for arg in ("-e", uai)]
        _vigie(env, "users", "add", username, "--role", role, *scoped, "--password-stdin",
               stdin=f"{PASSWORD}\n")  # fmt: skip
    done.write_text(json.dumps({"students": students, "seconds": seconds}, indent=2))
    return seconds


def _sign_in(page, url: str, username: str, ready: Callable[[], None]) -> float:
    """Seconds from the sign-in click until `ready()` returns (the page's content shown)."""
    page.goto(url)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    started = time.perf_counter()
    page.get_by_role("button", name="Se connecter").click()
    ready()
    return time.perf_counter() - started


def _open(page, link: str, ready: Callable[[], None]) -> float:
    started = time.perf_counter()
    page.get_by_role("link", name=link).click()
    ready()
    return time.perf_counter() - started


def measure(url: str, repeat: int, screenshots: Path | None) -> dict[str, list[float]]:
    """Each page's seconds, `repeat` times, each sign-in in a new browser page."""
    from playwright.sync_api import expect, sync_playwright

    def charts(page, count: int = 1) -> Callable[[], None]:
        def ready() -> None:
            chart = page.locator("[data-testid='stVegaLiteChart']")
            expect(chart.nth(count - 1)).to_be_visible(timeout=WAIT_MS)

        return ready

    def text(page, words: str) -> Callable[[], None]:
        return lambda: expect(page.get_by_text(words).first).to_be_visible(timeout=WAIT_MS)

    def frame(page) -> Callable[[], None]:
        first = page.locator("[data-testid='stDataFrame']").first
        return lambda: expect(first).to_be_visible(timeout=WAIT_MS)

    def both(*steps: Callable[[], None]) -> Callable[[], None]:
        return lambda: [step() for step in steps] and None

    runs: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        for attempt in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            audit = both(text(page, "Rapports de disparité"), charts(page), frame(page))
            runs.setdefault("inspector_audit_after_login_s", []).append(
                _sign_in(page, url, "inspecteur.bench", audit)
            )
            if screenshots and attempt == 0:
                page.screenshot(path=screenshots / "inspector_fairness_300k.png", full_page=True)
            card = text(page, "Historique des versions")
            runs.setdefault("model_card_s", []).append(_open(page, "Fiche du modèle", card))
            page.close()

            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            models = both(text(page, "Précision à capacité par semaine"), charts(page))
            runs.setdefault("data_scientist_models_after_login_s", []).append(
                _sign_in(page, url, "datascientist.bench", models)
            )
            drift = both(text(page, "Référence"), charts(page))
            runs.setdefault("drift_s", []).append(_open(page, "Dérive des données", drift))
            page.close()

            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            # the list in its three parts: the last part's heading is drawn after the others
            tiers = ("tier_invite", "tier_follow_up")
            listed = both(*(text(page, f"{label(tier, 'fr')} (") for tier in tiers))
            runs.setdefault("watch_unit_list_after_login_s", []).append(
                _sign_in(page, url, "cpe.bench", listed)
            )
            page.close()
        browser.close()
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="Folder for a screenshot of the audit page.")  # fmt: skip
    parser.add_argument("--no-warm-up", action="store_true",
                        help="Plain `streamlit run`, without the warm-up.")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    work = (args.work or REPO / "var" / "bench" / f"dashboard-{args.students}").resolve()
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "VIGIE_HOME": str(home), "VIGIE_EXTRACTION": str(work / "academie"),
           "MLFLOW_DISABLE_TELEMETRY": "true"}  # fmt: skip
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("VIGIE_DATABASE_URL", None)
    print(f"Dashboard benchmark: {args.students:,} students, work folder {work}", flush=True)
    preparation = prepare(work, args.students, env)
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    log = work / "streamlit.log"
    with dashboard_server(env, log, warm_up=not args.no_warm_up, cwd=REPO) as url:
        runs = measure(url, args.repeat, args.screenshots)
    load_after = os.getloadavg()
    # The first sign-in after the server started pays what no later one does (the page's
    # first run in the process): kept apart, the medians are of the other runs.
    first = {name: values[0] for name, values in runs.items()}
    medians = {name: statistics.median(values[1:] or values) for name, values in runs.items()}
    print(f"\n{'page':<40} {'first':>7} {'median':>8}   other runs (s)")
    for name, values in runs.items():
        shown = ", ".join(f"{value:.2f}" for value in values[1:])
        print(f"{name:<40} {first[name]:>6.2f}s {medians[name]:>7.2f}s   {shown}")
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": load_after,
        },
        "students": args.students,
        "warm_up": not args.no_warm_up,
        "preparation_s": preparation,
        "runs_s": runs,
        "first_after_start_s": first,
        "medians_after_first_s": medians,
        "target": {"inspector_audit_after_login_s": 5.0},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nWritten to {args.out}")


if __name__ == "__main__":
    main()
