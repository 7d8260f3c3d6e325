"""Serve the dashboard with its heavy work done before the first visitor:
`python -m app_dashboard.serve [streamlit run options]`, which `serve` runs (what
`vigie dashboard` calls) and `dashboard_server` runs in the background (browser tests, benchmarks).

Streamlit imports a page's modules, and the page opens MLflow's stores, only when a session
first runs it: after a restart, the first person to sign in on a Monday morning would wait
for pandas, Altair, MLflow, LightGBM and the tracking and registry stores (about 6 s of a
free core, 10 s on a busy one). Here that work is done first, in this process, before the
server starts listening; the modules stay in `sys.modules` and MLflow keeps one store per
URI in the process, so the pages find them ready. It is done before and not beside the
server's start on purpose: MLflow's modules import one another in cycles, and a page
importing them while another thread is half-way through gets a partially initialised
module (seen: `ImportError: cannot import name '_get_store'`). A failure in the warm-up is
logged and changes nothing: the page would have done the same work, and reports what goes
wrong.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["ENTRY", "dashboard_server", "main", "serve", "streamlit_command", "warm_up"]

ENTRY = Path(__file__).resolve().parent / "streamlit_app.py"
logger = logging.getLogger(__name__)
# What the pages import beyond Streamlit: data frames and charts, the student page's model
# (LightGBM through MLflow's pyfunc), the services behind the inspector's and the data
# scientist's pages.
_MODULES = (
    "pandas",
    "altair",
    "app_dashboard.charts",
    "app_dashboard.tables",
    "models.pyfunc",
    "serving.services.dashboard_explain",
    "serving.services.dashboard_models",
    "training.fairness.groups",
)


def streamlit_command(host: str, port: int, headless: bool = True) -> list[str]:
    """The command line that serves the dashboard: `streamlit run` of the entry file,
    through this module, which does the pages' imports and opens MLflow's stores before the
    server starts; Streamlit's usage statistics off (the dashboard shows minors' data: no
    outbound call it does not need)."""
    return [
        sys.executable, "-m", "app_dashboard.serve",
        "--server.address", host, "--server.port", str(port),
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip


def serve(host: str, port: int, *, headless: bool = True, trusted_proxies: str = "") -> int:
    """Serve the dashboard on `host:port` until it stops; its exit code. Streamlit's uvicorn
    takes X-Forwarded-For from FORWARDED_ALLOW_IPS (by default any loopback peer): only from
    `trusted_proxies` here (a comma-separated list, none by default)."""
    environment = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "FORWARDED_ALLOW_IPS": trusted_proxies,
    }
    return subprocess.call(streamlit_command(host, port, headless=headless), env=environment)


def warm_up() -> None:
    """Import what the pages import and open the MLflow stores the settings point at."""
    try:
        for name in _MODULES:
            importlib.import_module(name)
        from models.registry import RegistryError, registry_client, resolve
        from settings import load_settings

        settings = load_settings()
        client = registry_client(settings.tracking_uri)
        try:
            version = resolve(client, settings.model_name)
            if version.run_id:
                client.get_run(version.run_id)
        except RegistryError:  # no champion yet: the pages say so
            pass
    except Exception:  # a warm-up never stops the server
        logger.warning("dashboard warm-up failed; the first page will do the work", exc_info=True)


def main(argv: list[str] | None = None) -> None:
    """`warm_up`, then `streamlit run ENTRY *argv`."""
    warm_up()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(ENTRY), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def dashboard_server(
    env: Mapping[str, str], log: Path, *, warm_up: bool = True, cwd: Path | None = None,
    timeout: float = 90.0,
) -> Iterator[str]:  # fmt: skip
    """The dashboard served as `vigie dashboard` serves it, in a child process on a free
    loopback port, until the block ends: its URL, once Streamlit answers its health check.
    For the browser tests and the benchmarks. Without `warm_up`, plain `streamlit run` of
    the entry file (to measure what the warm-up saves). The server's output goes to `log`."""
    port = _free_port()
    command = streamlit_command("127.0.0.1", port)
    if not warm_up:
        command = [sys.executable, "-m", "streamlit", "run", str(ENTRY), *command[3:]]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dashboard did not start (see {log})")
                time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
