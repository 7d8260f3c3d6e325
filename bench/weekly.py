"""Weekly run and API benchmark: `python -m bench.weekly [--students 300000]`.

Prepares once (cached under `--work`):

- the académie of `python -m bench` (`var/bench/academie-<N>`: one school year, 2025-2026,
  N / 500 establishments), generated the same way if absent;
- a risk model trained as `vigie train` fits it (default parameters) on the monthly snapshots
  of 2024-2025 of a smaller synthetic académie (12,000 students, 30 establishments, two
  school years), logged to a local MLflow store under `--work/weekly/mlflow`, registered as
  `vigie-dropout` and given the alias `champion`.

Then measures:

1. the whole weekly run as `vigie score` runs it (`serving.scoring.score_week` after
   `load_registered_model`), in a fresh process and on an empty store each time: wall time,
   peak RSS (whole process, imports included), and each stage (load model, validate,
   features, predict, explain lists, store write);
2. `GET /v1/establishments/{uai}/lists/{week}` on a real `vigie api` server (its own process,
   loopback) under `--clients` concurrent clients for `--duration` seconds (bounded): by
   default (`--users each`) each client is the watch unit of its own establishment (50
   establishments spread over the académie) reading its list, as on a Monday morning; with
   `--users one`, one watch unit scoped to every establishment, establishments drawn at
   random (names joined and every read audited either way); p50, p99, requests/s, errors,
   and the server's CPU time per request (with `--workers N`, over the supervisor and its N
   worker processes). With
   `--api-repeat N`, N fresh servers in a row, and the median of each figure over the N runs.

Prints a table and writes everything, with the machine load, to `bench/results/weekly.json`.
Targets (issue 5): weekly run under 3 minutes; list endpoint p99 under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.compare import vigie_command

SCHOOL_YEAR, TRAIN_YEAR = "2025-2026", "2024-2025"
EXTRACTION_DATE = dt.date(2026, 7, 10)  # as `python -m bench`: a whole school year
AS_OF = dt.date(2026, 3, 16)  # a Monday of 2025-2026
PREVIOUS_AS_OF = AS_OF - dt.timedelta(weeks=1)  # the week whose state the incremental run reads
MODEL_STUDENTS, MODEL_ESTABLISHMENTS = 12_000, 30
REGISTERED = "vigie-dropout"


# --- preparation (cached) ------------------------------------------------------------------


def academie(work: Path, students: int, console: Console) -> Path:
    """The benchmark académie of `python -m bench`, generated once if absent."""
    data = work / f"academie-{students}"
    if not (data / "students.parquet").is_file():
        console.print(f"Generating the {students:,}-student académie (once)...")
        args = {
            "out": str(data),
            "establishments": max(2, students // 500),
            "students": students,
            "seed": 7,
            "school_year": SCHOOL_YEAR,
            "extraction_date": EXTRACTION_DATE.isoformat(),
        }
        subprocess.run(
            [sys.executable, "-m", "bench.stage", "synth", json.dumps(args)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return data


def _environment(weekly: Path) -> dict[str, str]:
    """The environment of the measured processes: their own home, store and MLflow."""
    environment = dict(os.environ)
    environment["VIGIE_HOME"] = str(weekly / "home")
    environment["MLFLOW_TRACKING_URI"] = f"sqlite:///{(weekly / 'mlflow' / 'mlflow.db').resolve()}"
    environment.pop("VIGIE_DATABASE_URL", None)
    return environment


def champion(weekly: Path, console: Console) -> str:
    """Register the benchmark model as champion once; returns its `name/version`."""
    marker = weekly / "champion.txt"
    if marker.is_file():
        return marker.read_text().strip()
    console.print("Training and registering the benchmark model (once)...")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.weekly", "_register", str(weekly)],
        check=True,
        capture_output=True,
        text=True,
        env=_environment(weekly),
    )
    label = completed.stdout.strip().splitlines()[-1]
    marker.write_text(label)
    return label


def _register(weekly: Path) -> None:
    """Child process: synthesize, train, log, register, alias champion; print the label."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from features.extraction import open_extraction
    from features.synth import synthesize
    from models.pyfunc import log_risk_model
    from models.risk_model import RiskModel
    from training.snapshots import build_snapshots, snapshot_dates
    from training.tracking import setup_tracking

    data = weekly / "model-academie"
    if not (data / "students.parquet").is_file():
        synthesize(data, establishments=MODEL_ESTABLISHMENTS, students=MODEL_STUDENTS, years=2,
                   seed=17, file_format="parquet", last_school_year=SCHOOL_YEAR,
                   extraction_date=EXTRACTION_DATE)  # fmt: skip
    with open_extraction(data) as extraction:
        train = build_snapshots(extraction, snapshot_dates(TRAIN_YEAR, "monthly"))
    train = train[train["label_dropped_out"].notna()].reset_index(drop=True)
    model = RiskModel(seed=0).fit(train, train["label_dropped_out"], groups=train["student_id"])
    (weekly / "mlflow").mkdir(parents=True, exist_ok=True)
    setup_tracking(weekly / "home")
    experiment = mlflow.create_experiment(
        "bench-weekly", artifact_location=(weekly / "mlflow" / "artifacts").resolve().as_uri()
    )
    with mlflow.start_run(experiment_id=experiment):
        info = log_risk_model(model, train.head(100))
    version = mlflow.register_model(info.model_uri, REGISTERED)
    MlflowClient().set_registered_model_alias(REGISTERED, "champion", version.version)
    print(f"{REGISTERED}/{version.version}")


# --- the weekly run, in a fresh process ------------------------------------------------------


def _weekly_run(data: str, threshold: float, mode: str = "full", as_of: str = "") -> None:
    """Child process: the weekly run as `vigie score` does it; prints one JSON line. `mode`
    `full`: the run before issue 17 (the model loaded through MLflow, the whole extraction
    validated); `incremental`: as `vigie score` runs it now (the tracking's setup, the
    registry's lookup and the model from the local cache in a thread while the run goes on,
    so that "load model" is only starting it, "validate" waits for the lookup and "predict"
    for the model if need be; only the new events validated from last week's state, the
    features from last week's event sums); `partitioned-full` and `partitioned-incremental`,
    the run of a partitioned extraction here, the model loaded as `full` and `incremental`
    load it (in the latter, while the first académie is validated and aggregated)."""
    from serving.db import open_store
    from serving.scoring import load_registered_model, score_week
    from serving.scoring.incremental import score_week_incremental
    from serving.scoring.model import start_loading_registered_model
    from settings import load_settings
    from training.tracking import setup_tracking

    settings = load_settings()
    week = dt.date.fromisoformat(as_of) if as_of else AS_OF
    stages: dict[str, float] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    if mode.endswith("incremental"):  # as `vigie score` does: loaded while the run goes on
        model: Any = start_loading_registered_model(
            cache=settings.home, setup=lambda: setup_tracking(settings.home)
        )
    else:
        setup_tracking(settings.home)
        model = load_registered_model()
    stages["load model"] = time.perf_counter() - started
    store = open_store(settings.resolved_database_url)
    stages["open store"] = time.perf_counter() - started - stages["load model"]
    validation: dict[str, Any] = {}
    # CPU time of each stage (user + system, every thread of the process: DuckDB's too), as
    # the difference between the ends of consecutive stages.
    cpu_marks = [time.process_time()]
    cpu: dict[str, float] = {"load model": cpu_marks[0] - cpu_started}

    def on_stage(stage: str, seconds: float) -> None:
        stages[stage] = seconds
        cpu_marks.append(time.process_time())
        cpu[stage] = cpu_marks[-1] - cpu_marks[-2]

    if mode == "incremental":
        ran = score_week_incremental(data, week, store, model, home=settings.home,
                                     watch_threshold=threshold, on_stage=on_stage)  # fmt: skip
        result = ran.scoring
        validation = {
            "mode": ran.validation.mode,
            "reason": None if ran.validation.reason is None else str(ran.validation.reason),
            "checked_rows": ran.validation.checked,
            "unchanged_rows": ran.validation.unchanged,
        }
    elif mode.startswith("partitioned"):  # `vigie score` on a root of académies, here
        from serving.scoring.cluster import score_partitioned_week

        result = score_partitioned_week(
            data, week, store, model, home=settings.home, watch_threshold=threshold,
            on_stage=on_stage, incremental=mode == "partitioned-incremental",
        )  # fmt: skip
        validation = {
            name: {"mode": summary.mode, "checked_rows": summary.checked,
                   "unchanged_rows": summary.unchanged,
                   "features_since": str(summary.features_since)}
            for name, summary in result.validations.items()
        }  # fmt: skip
    else:
        result = score_week(data, week, store, model, home=settings.home,
                            watch_threshold=threshold, on_stage=on_stage)  # fmt: skip
    seconds = time.perf_counter() - started
    store.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "mode": mode,
                "as_of": week.isoformat(),
                "validation": validation,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "stage_cpu_seconds": cpu,
                "seconds": seconds,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "stages": stages,
                "scored_students": result.scored_students,
                "establishments": result.written.establishments,
                "entries": result.written.entries,
                "watch_entries": sum(e.watch for e in result.establishments),
                "model_version": result.model_version,
            }
        )
    )


def measure_weekly(weekly: Path, data: Path, threshold: float) -> dict[str, Any]:
    store = weekly / "home" / "serving"
    shutil.rmtree(store, ignore_errors=True)  # an empty store: the whole week is written
    completed = subprocess.run(
        [sys.executable, "-m", "bench.weekly", "_weekly_run", str(data), str(threshold)],
        check=True,
        capture_output=True,
        text=True,
        env=_environment(weekly),
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def weekly_extractions(work: Path, data: Path, console: Console) -> dict[dt.date, Path]:
    """The académie as extracted on the Mondays `PREVIOUS_AS_OF` and `AS_OF` (attendance,
    grades and exams dated before each; the other tables linked, never written), made once
    under `work/weekly-extractions/`: what two consecutive weekly runs read."""
    folders = {}
    for as_of in (PREVIOUS_AS_OF, AS_OF):
        out = work / "weekly-extractions" / f"as-of-{as_of.isoformat()}"
        folders[as_of] = out
        if (out / "students.parquet").exists():
            continue
        console.print(f"Cutting the académie's events before {as_of} (once)...")
        cut_events(data, as_of, out)
    return folders


def cut_events(data: Path, as_of: dt.date, out: Path) -> None:
    """The extraction `data` as extracted on `as_of` into `out`: its attendance, grades and
    exams dated before that day, the other tables linked (never written)."""
    import duckdb

    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    con = duckdb.connect()
    for table in sorted(data.resolve().glob("*.parquet")):
        if table.stem in ("attendance", "grades", "exams"):
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{table}', hive_partitioning = false) "
                f"WHERE date < DATE '{as_of.isoformat()}') TO '{partial / table.name}' "
                "(FORMAT parquet)"
            )
        else:
            (partial / table.name).symlink_to(table)
    con.close()
    partial.rename(out)


def _child_run(
    weekly: Path, data: Path, threshold: float, mode: str, as_of: dt.date
) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.weekly", "_weekly_run", str(data), str(threshold), mode,
         as_of.isoformat()],
        check=True,
        capture_output=True,
        text=True,
        env=_environment(weekly),
    )  # fmt: skip
    run: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return run


def partitioned_extractions(work: Path, folders: dict[dt.date, Path]) -> dict[dt.date, Path]:
    """Each weekly extraction as the one partition (`academie=Bench`, a link to its folder)
    of a root folder: what `vigie score` reads of an extraction partitioned by académie."""
    roots = {}
    for as_of, folder in folders.items():
        root = work / "weekly-partitioned" / f"as-of-{as_of.isoformat()}"
        link = root / "academie=Bench"
        if not link.exists():
            root.mkdir(parents=True, exist_ok=True)
            link.symlink_to(folder.resolve(), target_is_directory=True)
        roots[as_of] = root
    return roots


def measure_side_by_side(
    weekly: Path,
    folders: dict[dt.date, Path],
    threshold: float,
    modes: tuple[str, ...] = ("full", "incremental"),
) -> dict[str, dict[str, Any]]:
    """Week `AS_OF` run each way of `modes`, each in a fresh process on a store holding the
    week before (written, with the state it leaves, by a first run not measured): the full
    run as before issue 17, then the incremental run, with the load average around each;
    `partitioned-full` and `partitioned-incremental` are the run of a partitioned extraction
    (here, without a cluster) without and with the partitions' weekly states, on the folders
    of `partitioned_extractions`."""
    measured = {}
    for mode in modes:
        for folder in ("serving", "weeks", "weekly-state", "model-cache"):
            shutil.rmtree(weekly / "home" / folder, ignore_errors=True)
        _child_run(weekly, folders[PREVIOUS_AS_OF], threshold, mode, PREVIOUS_AS_OF)
        load_before = _load()
        run = _child_run(weekly, folders[AS_OF], threshold, mode, AS_OF)
        run["load_before"], run["load_after"] = load_before, _load()
        measured[mode] = run
    return measured


# --- the list endpoint under concurrent clients ------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _watch_unit_tokens(weekly: Path, clients: int, users: str) -> list[tuple[str, list[str]]]:
    """Each client's (token, establishments it reads), watch units created in the store:
    with `users="each"`, one watch unit per client, scoped to its own establishment (as on a
    Monday morning, when each school's watch unit opens its own list), the establishments
    spread over the académie; with `users="one"`, one watch unit scoped to every establishment,
    shared by all clients, each request for an establishment drawn at random."""
    os.environ.update({k: v for k, v in _environment(weekly).items() if k.startswith("VIGIE_")})
    os.environ.pop("VIGIE_DATABASE_URL", None)
    from sqlalchemy import select

    from serving.db import open_store
    from serving.db.models import WeeklyList
    from serving.services import Actor, Conflict, NewUser, add_user, renew_token

    store = open_store()
    operator = Actor.operator("bench")

    def token(username: str, scope: list[str]) -> str:
        try:
            return add_user(store, operator, NewUser(username, "watch_unit", tuple(scope)))[1]
        except Conflict:  # --api-only on the store of an earlier run
            return renew_token(store, operator, username, 1)[1]

    try:
        with store.reading() as session:
            uais = sorted(set(session.scalars(select(WeeklyList.uai))))
        if users == "one":
            shared = token("bench.watch", uais)
            return [(shared, uais)] * clients
        chosen = [uais[i * len(uais) // clients] for i in range(clients)]
        return [(token(f"bench.watch.{uai.lower()}", [uai]), [uai]) for uai in chosen]
    finally:
        store.dispose()


class _RawConnection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole responses, written
    on asyncio streams: a load generator costing a fraction of httpx's CPU per request (on
    this machine the client shares the cores with the server it measures)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.extra}\r\n"
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
            self.reader = self.writer = None


async def _clients(
    url: str,
    tokens: list[tuple[str, list[str]]],
    clients: int,
    duration: float,
    warmup: float,
    client_kind: str = "raw",
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent_in_all = [0]  # warm-up included: the server's CPU time covers it too
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    host, port = httpx.URL(url).host, httpx.URL(url).port or 80
    started = time.perf_counter()
    measure_from, stop_at = started + warmup, started + warmup + duration

    async def client(number: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(number)
        token, uais = tokens[number]
        headers = {"Authorization": f"Bearer {token}"}
        raw = _RawConnection(host, port, headers) if client_kind == "raw" else None
        try:
            while (now := time.perf_counter()) < stop_at:
                path = f"/v1/establishments/{rng.choice(uais)}/lists/{AS_OF.isoformat()}"
                sent = time.perf_counter()
                if raw is not None:
                    status = await raw.get(path)
                else:
                    status = (await http.get(path, headers=headers)).status_code
                elapsed = time.perf_counter() - sent
                sent_in_all[0] += 1
                if now >= measure_from:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            if raw is not None:
                await raw.close()

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(number, http) for number in range(clients)))
    latencies.sort()
    count = len(latencies)
    return {
        "clients": clients,
        "client": client_kind,
        "duration_s": duration,
        "requests": count,
        "requests_with_warmup": sent_in_all[0],
        "requests_per_s": count / duration,
        "p50_ms": 1000 * statistics.median(latencies),
        "p90_ms": 1000 * latencies[int(0.90 * (count - 1))],
        "p99_ms": 1000 * latencies[int(0.99 * (count - 1))],
        "max_ms": 1000 * latencies[-1],
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
    }


def measure_api(
    weekly: Path,
    clients: int,
    duration: float,
    warmup: float,
    workers: int,
    client_kind: str = "raw",
    users: str = "each",
) -> dict[str, Any]:
    tokens = _watch_unit_tokens(weekly, clients, users)
    port = _free_port()
    command = vigie_command("api", "--host", "127.0.0.1", "--port", str(port))
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=_environment(weekly),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, server)
        if workers > 1:  # every worker up and past its imports before the clock starts
            _wait_for_workers(server.pid, workers)
        cpu_before = _tree_cpu_seconds(server.pid)
        result = asyncio.run(_clients(url, tokens, clients, duration, warmup, client_kind))
        cpu_after = _tree_cpu_seconds(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    result["workers"] = workers
    # The server's processes (with several workers, the supervisor and its children) that
    # ran through the whole measurement: their CPU time over all requests, warm-up included.
    server_cpu = sum(cpu_after[pid] - cpu_before[pid] for pid in cpu_after if pid in cpu_before)
    result["server_processes"] = len(cpu_after)
    result["server_cpu_ms_per_request"] = 1000 * server_cpu / max(1, result["requests_with_warmup"])
    result["users"] = users
    result["establishments"] = len({uai for _, uais in tokens for uai in uais})
    return result


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux `/proc`), warm-up included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU time so far of `pid` and of each of its descendants, by process id."""
    times, pending = {}, [pid]
    while pending:
        current = pending.pop()
        try:
            times[current] = _cpu_seconds(current)
            pending += _children(current)
        except FileNotFoundError:  # exited meanwhile
            continue
    return times


def _wait_for_workers(pid: int, workers: int, timeout: float = 120.0) -> None:
    """Until `workers` worker processes exist and none has used CPU for a moment (their
    imports and store opening done), so that the measurement counts requests only."""
    deadline = time.monotonic() + timeout
    previous: dict[int, float] = {}
    while time.monotonic() < deadline:
        current = _tree_cpu_seconds(pid)
        settled = previous.keys() == current.keys() and all(
            current[p] - previous[p] < 0.05 for p in current
        )
        if len(current) > workers and settled:
            return
        previous = current
        time.sleep(1.0)
    raise RuntimeError(f"vigie api did not start {workers} workers in time")


def print_side_by_side(
    console: Console, measured: dict[str, dict[str, Any]], prefix: str = ""
) -> None:
    """The week run both ways (`prefix`: of the partitioned runs), stage by stage."""
    if f"{prefix}full" not in measured:
        return
    full, incremental = measured[f"{prefix}full"], measured[f"{prefix}incremental"]
    table = Table(
        title=f"Week of {AS_OF} after the week of {PREVIOUS_AS_OF}, "
        f"{full['scored_students']:,} students: {prefix}full run and {prefix}incremental run"
    )
    columns = ("stage", "full, wall (s)", "full, CPU (s)", "incremental, wall (s)",
               "incremental, CPU (s)")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "stage" else "right")
    for stage in full["stages"]:
        cells = [
            f"{run[key].get(stage, float('nan')):.2f}"
            for run in (full, incremental)
            for key in ("stages", "stage_cpu_seconds")
        ]
        table.add_row(stage, *cells)
    table.add_row("[bold]whole run[/bold]", f"{full['seconds']:.2f}",
                  f"{full['cpu_seconds']:.2f}", f"{incremental['seconds']:.2f}",
                  f"{incremental['cpu_seconds']:.2f}")  # fmt: skip
    table.add_row("load average before", str(full["load_before"]), "",
                  str(incremental["load_before"]), "")  # fmt: skip
    console.print(table)
    validation = incremental["validation"]
    if prefix:
        console.print(f"Validation per partition: {validation}")
        return
    console.print(
        f"Incremental validation: {validation.get('mode')}; rows checked "
        f"{validation.get('checked_rows')}, older rows unchanged {validation.get('unchanged_rows')}"
        + (f"; full because {validation['reason']}" if validation.get("reason") else "")
    )


def median_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each latency and throughput figure over repeated API runs."""
    summary = dict(runs[0])
    for key in ("requests", "requests_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms"):
        summary[key] = statistics.median(run[key] for run in runs)
    if all("server_cpu_ms_per_request" in run for run in runs):
        summary["server_cpu_ms_per_request"] = statistics.median(
            run["server_cpu_ms_per_request"] for run in runs
        )
    statuses: dict[str, int] = {}
    for run in runs:
        for code, count in run["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    summary["statuses"] = statuses
    summary["runs"] = len(runs)
    return summary


def _wait_for(url: str, server: subprocess.Popen[str], timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"vigie api exited: {server.stderr.read() if server.stderr else ''}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("vigie api did not answer /health in time")


# --- report -------------------------------------------------------------------------------


def _previous_runs(out: Path) -> list[dict[str, Any]]:
    """With --api-only: the weekly runs of the last report (the store they wrote is reused)."""
    if not out.is_file():
        raise SystemExit(f"--api-only needs a previous report at {out}")
    return json.loads(out.read_text())["weekly_runs"]


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments and arguments[0] == "_register":
        _register(Path(arguments[1]))
        return
    if arguments and arguments[0] == "_weekly_run":
        _weekly_run(arguments[1], float(arguments[2]), *arguments[3:5])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.weekly", description=__doc__)
    parser.add_argument("--students", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=1, help="Weekly runs measured.")
    parser.add_argument("--threshold", type=float, default=0.2, help="Watch tier threshold.")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds of API load.")
    parser.add_argument("--warmup", type=float, default=3.0, help="Seconds not measured.")
    parser.add_argument("--workers", type=int, default=1, help="`vigie api --workers`.")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="Load generator: raw keep-alive HTTP/1.1 on asyncio streams (cheap), or httpx.",
    )
    parser.add_argument(
        "--users",
        choices=("each", "one"),
        default="each",
        help="each: one watch unit per client, reading its own establishment's list; "
        "one: a single watch unit scoped to every establishment, random establishments.",
    )
    parser.add_argument(
        "--api-repeat", type=int, default=1, help="API runs measured (medians reported)."
    )
    parser.add_argument(
        "--api-only", action="store_true", help="Skip the weekly run (reuse the last store)."
    )
    parser.add_argument(
        "--weekly-only",
        action="store_true",
        help="Only the weekly runs: the whole-year run, then week N full and incremental "
        "side by side (no API load).",
    )
    parser.add_argument(
        "--partitioned",
        action="store_true",
        help="Also the week of the académie as one partition of an extraction partitioned by "
        "académie, without and with the partitions' weekly states, side by side.",
    )
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/weekly.json"))
    options = parser.parse_args(arguments)

    console = Console(width=120)
    weekly = (options.work / "weekly").resolve()
    weekly.mkdir(parents=True, exist_ok=True)
    data = academie(options.work, options.students, console)
    label = champion(weekly, console)
    load_before = _load()
    console.print(
        f"[bold]Weekly run[/bold]: {data} as of {AS_OF}, model {label}; load {load_before}"
    )
    runs = _previous_runs(options.out) if options.api_only else []
    for repeat in range(0 if options.api_only else options.repeat):
        run = measure_weekly(weekly, data.resolve(), options.threshold)
        runs.append(run)
        console.print(f"  run {repeat + 1}: {run['seconds']:.1f} s, {run['peak_rss_mb']:,.0f} MB")
    side_by_side: dict[str, dict[str, Any]] = {}
    if not options.api_only:
        folders = weekly_extractions(options.work, data, console)
        side_by_side = measure_side_by_side(weekly, folders, options.threshold)
        print_side_by_side(console, side_by_side)
    if options.partitioned:
        roots = partitioned_extractions(options.work, weekly_extractions(options.work, data,
                                                                         console))  # fmt: skip
        modes = ("partitioned-full", "partitioned-incremental")
        side_by_side |= measure_side_by_side(weekly, roots, options.threshold, modes)
        print_side_by_side(console, side_by_side, "partitioned-")
    if options.weekly_only:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(json.dumps({
            "command": "python -m bench.weekly " + " ".join(arguments),
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_before": load_before, "load_after": _load()},
            "students": options.students, "as_of": AS_OF.isoformat(), "model": label,
            "weekly_runs": runs, "side_by_side": side_by_side,
        }, indent=2))  # fmt: skip
        console.print(f"Written to {options.out}")
        return
    console.print(
        f"[bold]List endpoint[/bold]: {options.clients} clients, {options.duration:.0f} s"
    )
    api_runs = []
    for repeat in range(options.api_repeat):
        api_run = measure_api(
            weekly,
            options.clients,
            options.duration,
            options.warmup,
            options.workers,
            options.client,
            options.users,
        )
        api_run["load"] = _load()
        api_runs.append(api_run)
        console.print(
            f"  API run {repeat + 1}: p50 {api_run['p50_ms']:.1f} ms, "
            f"p99 {api_run['p99_ms']:.1f} ms, {api_run['requests_per_s']:.0f} requests/s, "
            f"server CPU {api_run.get('server_cpu_ms_per_request', float('nan')):.2f} ms/request, "
            f"load {api_run['load']}"
        )
    api = median_runs(api_runs)
    load_after = _load()

    table = Table(
        title=f"Weekly run, {runs[0]['scored_students']:,} students (median of {len(runs)})"
    )
    table.add_column("stage")
    table.add_column("wall time (s)", justify="right")
    for stage in runs[0]["stages"]:
        table.add_row(stage, f"{statistics.median(r['stages'][stage] for r in runs):.1f}")
    table.add_row("[bold]whole run[/bold]", f"{statistics.median(r['seconds'] for r in runs):.1f}")
    console.print(table)
    console.print(
        f"Peak RSS {statistics.median(r['peak_rss_mb'] for r in runs):,.0f} MB; "
        f"{runs[0]['establishments']} lists, {runs[0]['entries']:,} entries "
        f"({runs[0]['watch_entries']:,} to watch)."
    )
    console.print(
        f"List endpoint (median of {api['runs']}): p50 {api['p50_ms']:.1f} ms, "
        f"p99 {api['p99_ms']:.1f} ms, "
        f"{api['requests_per_s']:.0f} requests/s over {api['requests']:,} requests, "
        f"statuses {api['statuses']}. Load before {load_before}, after {load_after}."
    )
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(
        json.dumps(
            {
                "command": "python -m bench.weekly " + " ".join(arguments),
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_before": load_before,
                    "load_after": load_after,
                },
                "students": options.students,
                "as_of": AS_OF.isoformat(),
                "model": label,
                "weekly_runs": runs,
                "side_by_side": side_by_side,
                "api": api,
                "api_runs": api_runs,
            },
            indent=2,
        )
    )
    console.print(f"Written to {options.out}")


if __name__ == "__main__":
    main()
